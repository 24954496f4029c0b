# node-gyp build of the addon: what `npm install` runs when no prebuild fits, and what prebuildify
# uses to make prebuilds. The source lists come from native/sources.gypi, which CMakeLists.txt reads
# too. Each ISA's kernels are a static library with its own flags; the rest is built for the
# platform baseline, so one binary runs on every CPU of its platform (native/kernels/isa.h).
{
  "includes": ["native/sources.gypi"],
  "target_defaults": {
    "defines": ["NAPI_VERSION=9", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "include_dirs": ["native"],
    "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-fvisibility=hidden", "-fno-math-errno", "-ffp-contract=off", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
    "conditions": [
      ["OS=='linux'", {"cflags_cc": ["-fopenmp"], "ldflags": ["-fopenmp"]}],
      ["OS=='mac'", {"xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"}}],
      ["OS=='win'", {"msvs_settings": {"VCCLCompilerTool": {
        "AdditionalOptions": ["/std:c++17", "/openmp"], "ExceptionHandling": 1}}}]
    ]
  },
  "targets": [
    {
      "target_name": "gradnode",
      "sources": ["<@(gradnode_sources_baseline)", "<@(gradnode_sources_addon)"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "conditions": [
        ["target_arch=='x64'", {"dependencies": ["gradnode_avx2", "gradnode_avx512"]}],
        ["target_arch=='arm64'", {"dependencies": ["gradnode_neon"]}]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {"targets": [
        {
          "target_name": "gradnode_avx2",
          "type": "static_library",
          "sources": ["<@(gradnode_sources_avx2)"],
          "cflags_cc": ["<@(gradnode_flags_avx2)"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["<@(gradnode_flags_avx2)"]},
          "msvs_settings": {"VCCLCompilerTool": {"EnableEnhancedInstructionSet": 5}}
        },
        {
          "target_name": "gradnode_avx512",
          "type": "static_library",
          "sources": ["<@(gradnode_sources_avx512)"],
          "cflags_cc": ["<@(gradnode_flags_avx512)"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["<@(gradnode_flags_avx512)"]},
          "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/arch:AVX512"]}}
        }
    ]}],
    ["target_arch=='arm64'", {"targets": [
        {
          "target_name": "gradnode_neon",
          "type": "static_library",
          "sources": ["<@(gradnode_sources_neon)"]
        }
    ]}]
  ]
}
