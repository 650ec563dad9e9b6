{
  "targets": [
    {
      "target_name": "torch_node",
      "sources": [
        "<!@(node -e \"for (const f of require('fs').readdirSync('native').sort()) if (f.endsWith('.cc')) console.log('native/' + f)\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-libtorch.js --include-dirs)"
      ],
      "defines": ["NAPI_VERSION=2147483647", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++<!(node scripts/find-libtorch.js --cxx-std)", "-fexceptions", "-frtti", "-O2", "<!@(node scripts/find-libtorch.js --cflags)"],
      "ldflags": ["<!@(node scripts/find-libtorch.js --ldflags)"],
      "libraries": ["<!@(node scripts/find-libtorch.js --libs)"]
    }
  ]
}
