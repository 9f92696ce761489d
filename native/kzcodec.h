// Shared helpers for the kzcodec addon (one .cc per codec family).
// Every entry point is synchronous and keeps no global mutable state, so the
// addon is safe to load in any number of worker threads.
#pragma once

#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace kz {

// Error thrown to JS; the TS layer turns "kzcodec:" errors into CodecError.
inline Napi::Error CodecErr(Napi::Env env, const std::string& msg) {
  return Napi::Error::New(env, "kzcodec: " + msg);
}

struct Bytes {
  const uint8_t* data;
  size_t size;
};

inline Bytes InBytes(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsTypedArray())
    throw Napi::TypeError::New(info.Env(), "kzcodec: argument " + std::to_string(i) + " must be a Uint8Array");
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(info.Env(), "kzcodec: argument " + std::to_string(i) + " must be a Uint8Array");
  Napi::Uint8Array u = info[i].As<Napi::Uint8Array>();
  return Bytes{u.Data(), u.ByteLength()};
}

struct MutBytes {
  uint8_t* data;
  size_t size;
};

inline MutBytes OutBytes(const Napi::CallbackInfo& info, size_t i) {
  Bytes b = InBytes(info, i);
  // An empty Uint8Array may have no storage; decoders tell "fixed output"
  // from "growable output" by a non-null pointer, and never write 0 bytes.
  static uint8_t none[1];
  return MutBytes{b.data ? const_cast<uint8_t*>(b.data) : none, b.size};
}

inline int64_t IntArg(const Napi::CallbackInfo& info, size_t i, int64_t lo, int64_t hi) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), "kzcodec: argument " + std::to_string(i) + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= (double)lo && d <= (double)hi) || d != (double)(int64_t)d)
    throw Napi::RangeError::New(info.Env(), "kzcodec: argument " + std::to_string(i) + " out of range");
  return (int64_t)d;
}

inline bool BoolArg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].ToBoolean().Value();
}

// A malloc'd output buffer that grows by doubling up to a hard cap, then is
// handed to JS without a copy. Never allocates more than `max` bytes.
class GrowBuf {
 public:
  GrowBuf(size_t initial, size_t max) : max_(max) {
    cap_ = initial < 4096 ? 4096 : initial;
    if (cap_ > max_) cap_ = max_;
    p_ = static_cast<uint8_t*>(std::malloc(cap_ ? cap_ : 1));
  }
  ~GrowBuf() { std::free(p_); }
  GrowBuf(const GrowBuf&) = delete;
  GrowBuf& operator=(const GrowBuf&) = delete;

  bool ok() const { return p_ != nullptr; }
  uint8_t* data() { return p_; }
  size_t cap() const { return cap_; }
  size_t len = 0;
  // Grow; false when already at the cap (caller reports "output over limit").
  bool grow() {
    if (cap_ >= max_) return false;
    size_t n = cap_ > max_ / 2 ? max_ : cap_ * 2;
    uint8_t* q = static_cast<uint8_t*>(std::realloc(p_, n));
    if (!q) return false;
    p_ = q;
    cap_ = n;
    return true;
  }
  // Hand over to a JS Buffer (shrunk to len).
  Napi::Buffer<uint8_t> release(Napi::Env env) {
    uint8_t* q = p_;
    if (len == 0) {
      std::free(p_);
      p_ = nullptr;
      return Napi::Buffer<uint8_t>::New(env, 0);
    }
    if (len < cap_) {
      uint8_t* r = static_cast<uint8_t*>(std::realloc(p_, len));
      if (r) q = r;
    }
    p_ = nullptr;
    return Napi::Buffer<uint8_t>::New(env, q, len, [](Napi::Env, uint8_t* d) { std::free(d); });
  }

 private:
  uint8_t* p_;
  size_t cap_;
  size_t max_;
};

// Copy a std::string-like byte vector into a new JS Buffer.
inline Napi::Buffer<uint8_t> CopyOut(Napi::Env env, const uint8_t* p, size_t n) {
  return Napi::Buffer<uint8_t>::Copy(env, p, n);
}

// [output, consumed] result of a stream decode.
inline Napi::Value DecodeResult(Napi::Env env, Napi::Buffer<uint8_t> out, size_t consumed) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(uint32_t(0), out);
  a.Set(uint32_t(1), Napi::Number::New(env, (double)consumed));
  return a;
}

void InitZlib(Napi::Env env, Napi::Object exports);
void InitBzip2(Napi::Env env, Napi::Object exports);
void InitLzma(Napi::Env env, Napi::Object exports);
void InitLz4(Napi::Env env, Napi::Object exports);
void InitZstd(Napi::Env env, Napi::Object exports);
void InitLzo(Napi::Env env, Napi::Object exports);

}  // namespace kz
