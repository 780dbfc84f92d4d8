{
  "targets": [
    {
      "target_name": "bfio_copy",
      "sources": ["copy.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
