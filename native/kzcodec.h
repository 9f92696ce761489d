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
  GrowBuf() = default;
  GrowBuf(size_t initial, size_t max) { reset(initial, max); }
  ~GrowBuf() { std::free(p_); }
  GrowBuf(const GrowBuf&) = delete;
  GrowBuf& operator=(const GrowBuf&) = delete;

  // (Re)start empty with `initial` bytes (at least 4096, at most `max`).
  bool reset(size_t initial, size_t max) {
    std::free(p_);
    len = 0;
    max_ = max;
    cap_ = initial < 4096 ? 4096 : initial;
    if (cap_ > max_) cap_ = max_;
    p_ = static_cast<uint8_t*>(std::malloc(cap_ ? cap_ : 1));
    return ok();
  }

  bool ok() const { return p_ != nullptr; }
  uint8_t* data() { return p_; }
  size_t cap() const { return cap_; }
  // The most it may ever hold.
  size_t limit() const { return max_; }
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
  uint8_t* p_ = nullptr;
  size_t cap_ = 0;
  size_t max_ = 0;
};

// [output, consumed] result of a stream decode.
inline Napi::Value DecodeResult(Napi::Env env, Napi::Buffer<uint8_t> out, size_t consumed) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(uint32_t(0), out);
  a.Set(uint32_t(1), Napi::Number::New(env, (double)consumed));
  return a;
}

// [written, consumed] result of a decode into the caller's buffer.
inline Napi::Value IntoResult(Napi::Env env, size_t written, size_t consumed) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(uint32_t(0), Napi::Number::New(env, (double)written));
  a.Set(uint32_t(1), Napi::Number::New(env, (double)consumed));
  return a;
}

// ---- entry points ----------------------------------------------------------
// The addon's JS functions are made here from each library's traits, so a
// library's .cc holds only what is particular to it:
//
//   struct SomeEncoder {                  // one per format written
//     struct Options;                     // the JS arguments after the input
//     static Options Read(const Napi::CallbackInfo&, size_t first);
//     // Compress all of `in` into `out`, which it sizes first (out.reset).
//     static void Encode(Napi::Env, Bytes in, const Options&, GrowBuf& out);
//   };
//   struct SomeDecoder {
//     struct Options;
//     static Options ReadInto(const Napi::CallbackInfo&, size_t first);    // after (input, out)
//     static Options ReadStream(const Napi::CallbackInfo&, size_t first);  // after (input, maxOutput)
//     // decodeStream only: refuse what is not this format before allocating,
//     // and give the output buffer's first size.
//     static size_t StreamStart(Napi::Env, Bytes in, const Options&, size_t maxOutput);
//     // Decode the stream at in.data into `fixed` (decompressInto) or into
//     // `grow` (decodeStream, never past grow->limit()); returns the input
//     // bytes the stream occupied and sets *produced.
//     static size_t Decode(Napi::Env, Bytes in, const Options&, uint8_t* fixed, size_t fixedSize, GrowBuf* grow,
//                          size_t* produced);
//   };

// xxxCompress(input, ...options) -> Buffer
template <class E>
Napi::Value CompressEntry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  typename E::Options o = E::Read(info, 1);
  GrowBuf out;
  E::Encode(env, in, o, out);
  return out.release(env);
}

// xxxDecompressInto(input, out, ...options) -> [written, consumed]
template <class D>
Napi::Value DecompressIntoEntry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  MutBytes out = OutBytes(info, 1);
  typename D::Options o = D::ReadInto(info, 2);
  size_t produced = 0;
  size_t consumed = D::Decode(env, in, o, out.data, out.size, nullptr, &produced);
  return IntoResult(env, produced, consumed);
}

// xxxDecodeStream(input, maxOutput, ...options) -> [Buffer, consumed]
template <class D>
Napi::Value DecodeStreamEntry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  size_t maxOut = (size_t)IntArg(info, 1, 0, (int64_t)1 << 46);
  typename D::Options o = D::ReadStream(info, 2);
  GrowBuf gb(D::StreamStart(env, in, o, maxOut), maxOut);
  if (!gb.ok()) throw CodecErr(env, "out of memory");
  size_t produced = 0;
  size_t consumed = D::Decode(env, in, o, nullptr, 0, &gb, &produced);
  return DecodeResult(env, gb.release(env), consumed);
}

// The usual first output size for decodeStream: 4x the input, at most 1 MiB.
inline size_t FirstGuess(Bytes in, size_t factor) {
  size_t guess = in.size * factor;
  return guess < (1u << 20) ? guess : (1u << 20);
}

template <class E>
void ExportEncoder(Napi::Env env, Napi::Object exports, const std::string& name) {
  exports.Set(name, Napi::Function::New(env, CompressEntry<E>));
}

// <prefix>DecompressInto and <prefix>DecodeStream.
template <class D>
void ExportDecoder(Napi::Env env, Napi::Object exports, const std::string& prefix) {
  exports.Set(prefix + "DecompressInto", Napi::Function::New(env, DecompressIntoEntry<D>));
  exports.Set(prefix + "DecodeStream", Napi::Function::New(env, DecodeStreamEntry<D>));
}

void InitZlib(Napi::Env env, Napi::Object exports);
void InitBzip2(Napi::Env env, Napi::Object exports);
void InitLzma(Napi::Env env, Napi::Object exports);
void InitLz4(Napi::Env env, Napi::Object exports);
void InitZstd(Napi::Env env, Napi::Object exports);
void InitLzo(Napi::Env env, Napi::Object exports);

}  // namespace kz
