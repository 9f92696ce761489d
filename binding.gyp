{
  "targets": [
    {
      "target_name": "kzcodec",
      "sources": [
        "native/addon.cc",
        "native/zlib.cc",
        "native/bzip2.cc",
        "native/lzma.cc",
        "native/lz4.cc",
        "native/zstd.cc",
        "native/lzo.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-ldl", "-lbz2", "-llzma", "-llz4", "-lzstd", "-llzo2"]
    }
  ]
}
