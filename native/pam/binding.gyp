{
  "targets": [
    {
      "target_name": "tsh_pam",
      "sources": ["pam.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpam"],
      "xcode_settings": { "OTHER_CFLAGS": ["-Wall", "-Wextra"] }
    }
  ]
}
