// gzip members via the system zlib: deflate (level 1-9) and inflate.
// GNU gzip's own deflate differs from zlib's, so exact gzip bytes come from
// the gzip-cli backend (TS side); this is the in-process backend.
#include <dlfcn.h>
#include <zlib.h>

#include "kzcodec.h"

namespace kz {
namespace {

// The node binary exports its own bundled zlib (Chromium's fork, 1.3.x),
// and a plain -lz would bind to those symbols first. Debian's libz is
// loaded explicitly with RTLD_DEEPBIND and called through these pointers.
struct SysZlib {
  decltype(&::deflateInit2_) deflateInit2_ = nullptr;
  decltype(&::deflate) deflate = nullptr;
  decltype(&::deflateEnd) deflateEnd = nullptr;
  decltype(&::deflateBound) deflateBound = nullptr;
  decltype(&::inflateInit2_) inflateInit2_ = nullptr;
  decltype(&::inflate) inflate = nullptr;
  decltype(&::inflateEnd) inflateEnd = nullptr;
  decltype(&::zlibVersion) zlibVersion = nullptr;
  bool ok = false;
  SysZlib() {
    void* h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!h) return;
    deflateInit2_ = reinterpret_cast<decltype(deflateInit2_)>(dlsym(h, "deflateInit2_"));
    deflate = reinterpret_cast<decltype(deflate)>(dlsym(h, "deflate"));
    deflateEnd = reinterpret_cast<decltype(deflateEnd)>(dlsym(h, "deflateEnd"));
    deflateBound = reinterpret_cast<decltype(deflateBound)>(dlsym(h, "deflateBound"));
    inflateInit2_ = reinterpret_cast<decltype(inflateInit2_)>(dlsym(h, "inflateInit2_"));
    inflate = reinterpret_cast<decltype(inflate)>(dlsym(h, "inflate"));
    inflateEnd = reinterpret_cast<decltype(inflateEnd)>(dlsym(h, "inflateEnd"));
    zlibVersion = reinterpret_cast<decltype(zlibVersion)>(dlsym(h, "zlibVersion"));
    ok = deflateInit2_ && deflate && deflateEnd && deflateBound && inflateInit2_ && inflate && inflateEnd && zlibVersion;
  }
};

// Initialised once (thread-safe static), read-only afterwards.
const SysZlib& ZRaw() {
  static const SysZlib z;
  return z;
}
const SysZlib& Z(Napi::Env env) {
  const SysZlib& z = ZRaw();
  if (!z.ok) throw CodecErr(env, "system zlib (libz.so.1) could not be loaded");
  return z;
}

const char* ZMsg(int rc, const z_stream& s) {
  if (s.msg) return s.msg;
  switch (rc) {
    case Z_DATA_ERROR: return "corrupt data";
    case Z_MEM_ERROR: return "out of memory";
    case Z_BUF_ERROR: return "truncated input";
    case Z_STREAM_ERROR: return "stream error";
    default: return "zlib error";
  }
}

// zlibCompress(input, level, windowBits, memLevel, strategy)
struct Encoder {
  struct Options {
    int level, wbits, memLevel, strategy;
  };
  static Options Read(const Napi::CallbackInfo& info, size_t i) {
    return Options{(int)IntArg(info, i, 0, 9), (int)IntArg(info, i + 1, -15, 31), (int)IntArg(info, i + 2, 1, 9),
                   (int)IntArg(info, i + 3, 0, 4)};
  }
  static void Encode(Napi::Env env, Bytes in, const Options& o, GrowBuf& out) {
    z_stream s;
    std::memset(&s, 0, sizeof s);
    const SysZlib& z = Z(env);
    int rc = z.deflateInit2_(&s, o.level, Z_DEFLATED, o.wbits, o.memLevel, o.strategy, ZLIB_VERSION, (int)sizeof(z_stream));
    if (rc != Z_OK) throw CodecErr(env, std::string("deflateInit2: ") + ZMsg(rc, s));
    size_t bound = z.deflateBound(&s, (uLong)in.size) + 64;
    if (!out.reset(bound, bound * 2 + (1u << 20))) { z.deflateEnd(&s); throw CodecErr(env, "out of memory"); }
    s.next_in = const_cast<Bytef*>(in.data);
    size_t inLeft = in.size;
    for (;;) {
      uInt chunkIn = inLeft > (1u << 30) ? (1u << 30) : (uInt)inLeft;
      s.avail_in = chunkIn;
      if (out.len == out.cap() && !out.grow()) { z.deflateEnd(&s); throw CodecErr(env, "deflate output over bound"); }
      size_t room = out.cap() - out.len;
      s.next_out = out.data() + out.len;
      s.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
      uInt availOutBefore = s.avail_out;
      int flush = (inLeft == chunkIn) ? Z_FINISH : Z_NO_FLUSH;
      rc = z.deflate(&s, flush);
      out.len += availOutBefore - s.avail_out;
      inLeft -= chunkIn - s.avail_in;
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK && rc != Z_BUF_ERROR) { z.deflateEnd(&s); throw CodecErr(env, std::string("deflate: ") + ZMsg(rc, s)); }
    }
    z.deflateEnd(&s);
  }
};

// Shared inflate loop. Writes into `fixed` (if given) or a GrowBuf.
// Returns consumed input bytes; sets produced.
size_t InflateOne(Napi::Env env, Bytes in, int wbits, uint8_t* fixed, size_t fixedSize, GrowBuf* gb,
                  size_t* produced) {
  z_stream s;
  std::memset(&s, 0, sizeof s);
  const SysZlib& z = Z(env);
  int rc = z.inflateInit2_(&s, wbits, ZLIB_VERSION, (int)sizeof(z_stream));
  if (rc != Z_OK) throw CodecErr(env, std::string("inflateInit2: ") + ZMsg(rc, s));
  s.next_in = const_cast<Bytef*>(in.data);
  size_t inLeft = in.size;
  size_t outLen = 0;
  for (;;) {
    uInt chunkIn = inLeft > (1u << 30) ? (1u << 30) : (uInt)inLeft;
    s.avail_in = chunkIn;
    uint8_t* dst;
    size_t room;
    if (fixed) {
      dst = fixed + outLen;
      room = fixedSize - outLen;
    } else {
      if (gb->len == gb->cap()) gb->grow();
      dst = gb->data() + gb->len;
      room = gb->cap() - gb->len;
    }
    if (room == 0) {
      // Output full: only fine if the stream ends right here.
      uint8_t probe;
      s.next_out = &probe;
      s.avail_out = 1;
      rc = z.inflate(&s, Z_NO_FLUSH);
      inLeft -= chunkIn - s.avail_in;
      if (rc == Z_STREAM_END && s.avail_out == 1) break;
      if ((rc == Z_OK || rc == Z_BUF_ERROR) && s.avail_out == 1) {
        // no output yet (header, empty stored block): keep going unless stuck
        if (inLeft == 0 && s.avail_in == 0 && rc == Z_BUF_ERROR) {
          z.inflateEnd(&s);
          throw CodecErr(env, "gzip: truncated stream");
        }
        if (rc == Z_OK) continue;
      }
      z.inflateEnd(&s);
      if (rc == Z_STREAM_END || rc == Z_OK || rc == Z_BUF_ERROR)
        throw CodecErr(env, "gzip: output larger than " + std::to_string(fixed ? fixedSize : gb->cap()) + " bytes");
      throw CodecErr(env, std::string("gzip: ") + ZMsg(rc, s));
    }
    s.next_out = dst;
    s.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
    uInt before = s.avail_out;
    rc = z.inflate(&s, Z_NO_FLUSH);
    size_t got = before - s.avail_out;
    outLen += got;
    if (gb) gb->len += got;
    inLeft -= chunkIn - s.avail_in;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && s.avail_in == 0 && inLeft == 0) {
      z.inflateEnd(&s);
      throw CodecErr(env, "gzip: truncated stream");
    }
    if (rc == Z_BUF_ERROR) continue;
    if (rc == Z_NEED_DICT) rc = Z_DATA_ERROR;
    std::string m = std::string("gzip: ") + ZMsg(rc, s);
    z.inflateEnd(&s);
    throw CodecErr(env, m);
  }
  size_t consumed = in.size - inLeft;
  z.inflateEnd(&s);
  *produced = outLen;
  return consumed;
}

// zlibDecompressInto(input, out, windowBits), zlibDecodeStream(input, maxOutput, windowBits)
struct Decoder {
  struct Options {
    int wbits;
  };
  static Options ReadInto(const Napi::CallbackInfo& info, size_t i) { return Options{(int)IntArg(info, i, -15, 47)}; }
  static Options ReadStream(const Napi::CallbackInfo& info, size_t i) { return ReadInto(info, i); }
  static size_t StreamStart(Napi::Env, Bytes in, const Options&, size_t) { return FirstGuess(in, 4); }
  static size_t Decode(Napi::Env env, Bytes in, const Options& o, uint8_t* fixed, size_t fixedSize, GrowBuf* gb,
                       size_t* produced) {
    return InflateOne(env, in, o.wbits, fixed, fixedSize, gb, produced);
  }
};

}  // namespace

void InitZlib(Napi::Env env, Napi::Object exports) {
  ExportEncoder<Encoder>(env, exports, "zlibCompress");
  ExportDecoder<Decoder>(env, exports, "zlib");
  exports.Set("zlibVersion", Napi::String::New(env, ZRaw().ok ? ZRaw().zlibVersion() : "unavailable"));
}

}  // namespace kz
