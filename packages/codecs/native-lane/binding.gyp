{
  # libzstd's decoder from the sources zstd-napi bundles (a dependency of this package) and libdeflate's from
  # native/libdeflate/: the workers decode with the same libraries, and no system package is needed.
  "variables": {
    "zstd": "<!(node -p \"require('path').relative('.', require('path').join(require('path').dirname(require.resolve('zstd-napi/package.json')), 'deps', 'zstd', 'lib'))\")"
  },
  "targets": [
    {
      "target_name": "bfio_lane",
      "sources": [
        "lane.c",
        "<(zstd)/common/debug.c",
        "<(zstd)/common/entropy_common.c",
        "<(zstd)/common/error_private.c",
        "<(zstd)/common/fse_decompress.c",
        "<(zstd)/common/xxhash.c",
        "<(zstd)/common/zstd_common.c",
        "<(zstd)/decompress/huf_decompress.c",
        "<(zstd)/decompress/huf_decompress_amd64.S",
        "<(zstd)/decompress/zstd_ddict.c",
        "<(zstd)/decompress/zstd_decompress.c",
        "<(zstd)/decompress/zstd_decompress_block.c",
        "../native/libdeflate/lib/adler32.c",
        "../native/libdeflate/lib/deflate_compress.c",
        "../native/libdeflate/lib/deflate_decompress.c",
        "../native/libdeflate/lib/utils.c",
        "../native/libdeflate/lib/zlib_compress.c",
        "../native/libdeflate/lib/zlib_decompress.c",
        "../native/libdeflate/lib/x86/cpu_features.c",
        "../native/libdeflate/lib/arm/cpu_features.c"
      ],
      "include_dirs": ["<(zstd)"],
      "defines": ["ZSTD_NO_TRACE", "XXH_NAMESPACE=BFIO_ZSTD_"],
      "cflags": ["-O2", "-Wall", "-Wno-sign-compare", "-fvisibility=hidden"],
      "ldflags": ["-Wl,--exclude-libs,ALL"],
      "conditions": [
        ["OS=='win'", { "sources!": ["<(zstd)/decompress/huf_decompress_amd64.S"] }]
      ]
    }
  ]
}
