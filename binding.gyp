{
  "targets": [
    {
      "target_name": "mtf_native",
      "sources": [
        "native/binding.cc",
        "native/kernels.cc",
        "native/isa.cc",
        "native/gemm.cc",
        "native/pack.cc",
        "native/pack_avx2.cc",
        "native/gemm_avx2.cc",
        "native/gemm_avx512.cc",
        "native/gemm_generic.cc",
        "native/vector_kernels_avx2.cc",
        "native/vector_kernels_generic.cc",
        "native/thread_pool.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-O2", "-O0", "-fno-exceptions"],
      "cflags_cc!": ["-O2", "-O0", "-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-O3", "-Wall", "-fno-math-errno", "-ffp-contract=off", "-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-fno-math-errno", "-ffp-contract=off"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CFLAGS": ["-fno-math-errno", "-ffp-contract=off"],
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-fno-math-errno", "-ffp-contract=off"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "Optimization": 2, "AdditionalOptions": ["/std:c++17", "/fp:precise"] }
      }
    }
  ]
}
