{
  "targets": [
    {
      "target_name": "bfio_copy",
      "sources": ["copy.c", "filters.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
