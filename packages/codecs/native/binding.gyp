{
  "targets": [
    {
      "target_name": "libdeflate",
      "type": "static_library",
      "sources": [
        "libdeflate/lib/adler32.c",
        "libdeflate/lib/deflate_compress.c",
        "libdeflate/lib/deflate_decompress.c",
        "libdeflate/lib/utils.c",
        "libdeflate/lib/zlib_compress.c",
        "libdeflate/lib/zlib_decompress.c",
        "libdeflate/lib/x86/cpu_features.c",
        "libdeflate/lib/arm/cpu_features.c"
      ],
      "configurations": { "Release": { "cflags!": ["-O3"] } },
      "cflags": ["-O2", "-Wno-sign-compare"]
    },
    {
      "target_name": "bfio_libdeflate",
      "sources": ["libdeflate.c"],
      "dependencies": ["libdeflate"],
      "ldflags": ["-Wl,--exclude-libs,ALL"],
      "cflags": ["-O2", "-Wall"]
    },
    {
      "target_name": "bfio_lzw",
      "sources": ["lzw.c"],
      "cflags": ["-O3", "-Wall"]
    }
  ]
}
