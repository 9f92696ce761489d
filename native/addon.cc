// kzcodec: the kernel's seven compressors over Debian's system libraries.
// Context-aware (NODE_API_MODULE), no global mutable state: loads in every
// worker thread.
#include <sys/resource.h>
#include <time.h>

#include "kzcodec.h"

namespace {

int64_t Nanoseconds(clockid_t id) {
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0) return -1;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// threadClock(out: BigInt64Array(3)): out[0] = CLOCK_MONOTONIC ns,
// out[1] = this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) ns, out[2] = this
// thread's involuntary context switches (getrusage(RUSAGE_THREAD).ru_nivcsw),
// -1 where unavailable. Read around a timed decode (src/measure/timing.ts):
// wall - cpu is the time the thread was off the CPU, nivcsw how often it was
// preempted. Writes into the caller's array: no allocation per sample.
// The reads are ordered wall, cpu, switches; the caller reads a second time
// after the decode, so the wall interval encloses the cpu interval.
Napi::Value ThreadClock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array ||
      info[0].As<Napi::TypedArray>().ElementLength() < 3)
    throw Napi::TypeError::New(env, "kzcodec: threadClock needs a BigInt64Array of at least 3 elements");
  Napi::TypedArrayOf<int64_t> out = info[0].As<Napi::TypedArrayOf<int64_t>>();
  int64_t* p = out.Data();
  p[0] = Nanoseconds(CLOCK_MONOTONIC);
  p[1] = Nanoseconds(CLOCK_THREAD_CPUTIME_ID);
#ifdef RUSAGE_THREAD
  struct rusage ru;
  p[2] = getrusage(RUSAGE_THREAD, &ru) == 0 ? (int64_t)ru.ru_nivcsw : -1;
#else
  p[2] = -1;
#endif
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  kz::InitZlib(env, exports);
  kz::InitBzip2(env, exports);
  kz::InitLzma(env, exports);
  kz::InitLz4(env, exports);
  kz::InitZstd(env, exports);
  kz::InitLzo(env, exports);
  exports.Set("threadClock", Napi::Function::New(env, ThreadClock));
  return exports;
}

}  // namespace

NODE_API_MODULE(kzcodec, Init)
