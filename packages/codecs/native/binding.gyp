{
  "targets": [
    {
      "target_name": "bfio_libdeflate",
      "sources": ["libdeflate.c"],
      "libraries": ["-ldeflate"],
      "cflags": ["-O2", "-Wall"]
    },
    {
      "target_name": "bfio_lzw",
      "sources": ["lzw.c"],
      "cflags": ["-O3", "-Wall"]
    }
  ]
}
