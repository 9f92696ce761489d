// kzcodec: the kernel's seven compressors over Debian's system libraries.
// Context-aware (NODE_API_MODULE), no global mutable state: loads in every
// worker thread.
#include "kzcodec.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  kz::InitZlib(env, exports);
  kz::InitBzip2(env, exports);
  kz::InitLzma(env, exports);
  kz::InitLz4(env, exports);
  kz::InitZstd(env, exports);
  kz::InitLzo(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(kzcodec, Init)
