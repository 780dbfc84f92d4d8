{
  "targets": [
    {
      "target_name": "bfio_copy",
      "sources": ["copy.c", "filters.c", "prefault.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
