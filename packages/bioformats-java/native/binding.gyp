{
  "variables": {
    "java_home%": "<!(node -p \"process.env.JAVA_HOME || ''\")"
  },
  "targets": [
    {
      "target_name": "bfio_jni",
      "sources": ["jni_transfer.c"],
      "include_dirs": ["<(java_home)/include", "<(java_home)/include/linux"],
      "libraries": ["-L<(java_home)/lib/server", "-Wl,-rpath,<(java_home)/lib/server", "-ljvm"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
