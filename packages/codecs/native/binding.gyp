{
  "targets": [
    {
      "target_name": "bfio_libdeflate",
      "sources": ["libdeflate.c"],
      "libraries": ["-ldeflate"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
