{
  "targets": [
    {
      "target_name": "bfio_jpeg",
      "sources": ["jpeg.c"],
      "libraries": ["-ljpeg"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
