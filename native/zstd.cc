// zstd frames via the system libzstd (1.5.4). Compression is driven like the
// zstd tool on a pipe: content size unknown, checksum on, and (like the CLI's
// default of one worker) ZSTDMT with nbWorkers=1, whose output differs from
// single-threaded mode for inputs larger than one job.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "kzcodec.h"

namespace kz {
namespace {

struct CCtxGuard {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ~CCtxGuard() { ZSTD_freeCCtx(c); }
};
struct DCtxGuard {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~DCtxGuard() { ZSTD_freeDCtx(d); }
};

void Set(Napi::Env env, ZSTD_CCtx* c, ZSTD_cParameter p, int v, const char* what) {
  size_t r = ZSTD_CCtx_setParameter(c, p, v);
  if (ZSTD_isError(r)) throw CodecErr(env, std::string("zstd: ") + what + ": " + ZSTD_getErrorName(r));
}

// zstdCompress(input, level, windowLog(0 = level default), long, nbWorkers, checksum, knownSize) -> Buffer
Napi::Value Compress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  int level = (int)IntArg(info, 1, ZSTD_minCLevel(), ZSTD_maxCLevel());
  int wlog = (int)IntArg(info, 2, 0, ZSTD_WINDOWLOG_MAX_64);
  bool ldm = BoolArg(info, 3);
  int workers = (int)IntArg(info, 4, 0, 64);
  bool checksum = BoolArg(info, 5);
  bool knownSize = BoolArg(info, 6);
  CCtxGuard g;
  if (!g.c) throw CodecErr(env, "zstd: out of memory");
  Set(env, g.c, ZSTD_c_compressionLevel, level, "level");
  Set(env, g.c, ZSTD_c_checksumFlag, checksum ? 1 : 0, "checksum");
  Set(env, g.c, ZSTD_c_contentSizeFlag, 1, "contentSize");
  if (ldm) Set(env, g.c, ZSTD_c_enableLongDistanceMatching, 1, "long");
  if (wlog) Set(env, g.c, ZSTD_c_windowLog, wlog, "windowLog");
  if (workers) Set(env, g.c, ZSTD_c_nbWorkers, workers, "nbWorkers (libzstd built without threads?)");
  if (knownSize) {
    size_t r = ZSTD_CCtx_setPledgedSrcSize(g.c, in.size);
    if (ZSTD_isError(r)) throw CodecErr(env, std::string("zstd: ") + ZSTD_getErrorName(r));
  }
  size_t bound = ZSTD_compressBound(in.size) + (1u << 16);
  GrowBuf out(bound, bound * 2 + (1u << 20));
  if (!out.ok()) throw CodecErr(env, "out of memory");
  ZSTD_inBuffer ib{in.data, in.size, 0};
  // Stream the input with e_continue first, so the frame is written as for a
  // pipe (no single-shot shortcut that would pledge the size).
  for (;;) {
    if (out.len == out.cap() && !out.grow()) throw CodecErr(env, "zstd output over bound");
    ZSTD_outBuffer ob{out.data() + out.len, out.cap() - out.len, 0};
    bool last = ib.pos == ib.size;
    size_t r = ZSTD_compressStream2(g.c, &ob, &ib, last ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(r)) throw CodecErr(env, std::string("zstd: ") + ZSTD_getErrorName(r));
    out.len += ob.pos;
    if (last && r == 0) break;
  }
  return out.release(env);
}

// zstdDecompressInto(input, out) -> [written, consumed] (first frame only)
Napi::Value DecompressInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  MutBytes out = OutBytes(info, 1);
  size_t fsize = ZSTD_findFrameCompressedSize(in.data, in.size);
  if (ZSTD_isError(fsize)) throw CodecErr(env, std::string("zstd: ") + ZSTD_getErrorName(fsize));
  DCtxGuard g;
  if (!g.d) throw CodecErr(env, "zstd: out of memory");
  size_t r = ZSTD_decompressDCtx(g.d, out.data, out.size, in.data, fsize);
  if (ZSTD_isError(r)) {
    if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
      throw CodecErr(env, "zstd: output larger than " + std::to_string(out.size) + " bytes");
    throw CodecErr(env, std::string("zstd: ") + ZSTD_getErrorName(r));
  }
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(uint32_t(0), Napi::Number::New(env, (double)r));
  a.Set(uint32_t(1), Napi::Number::New(env, (double)fsize));
  return a;
}

// zstdDecodeStream(input, maxOutput) -> [Buffer, consumed]
// The frame's block structure bounds its output (ZSTD_decompressBound), so
// the frame is decoded in one pass into a buffer of min(bound, maxOutput):
// no window buffer, never more than maxOutput allocated.
Napi::Value DecodeStream(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  size_t maxOut = (size_t)IntArg(info, 1, 0, (int64_t)1 << 46);
  if (in.size < 4 || !(in.data[0] == 0x28 && in.data[1] == 0xB5 && in.data[2] == 0x2F && in.data[3] == 0xFD))
    throw CodecErr(env, "zstd: bad magic");
  size_t fsize = ZSTD_findFrameCompressedSize(in.data, in.size);
  if (ZSTD_isError(fsize)) throw CodecErr(env, std::string("zstd: ") + ZSTD_getErrorName(fsize));
  unsigned long long csize = ZSTD_getFrameContentSize(in.data, fsize);
  if (csize == ZSTD_CONTENTSIZE_ERROR) throw CodecErr(env, "zstd: bad frame header");
  if (csize != ZSTD_CONTENTSIZE_UNKNOWN && csize > maxOut)
    throw CodecErr(env, "zstd: output " + std::to_string(csize) + " bytes exceeds limit of " + std::to_string(maxOut));
  unsigned long long bound = ZSTD_decompressBound(in.data, fsize);
  if (bound == ZSTD_CONTENTSIZE_ERROR) throw CodecErr(env, "zstd: corrupt frame");
  size_t alloc = bound > maxOut ? maxOut : (size_t)bound;
  GrowBuf gb(alloc, alloc);
  if (!gb.ok()) throw CodecErr(env, "out of memory");
  DCtxGuard g;
  if (!g.d) throw CodecErr(env, "zstd: out of memory");
  size_t r = ZSTD_decompressDCtx(g.d, gb.data(), alloc, in.data, fsize);
  if (ZSTD_isError(r)) {
    if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
      throw CodecErr(env, "zstd: output exceeds limit of " + std::to_string(maxOut) + " bytes");
    throw CodecErr(env, std::string("zstd: ") + ZSTD_getErrorName(r));
  }
  gb.len = r;
  return DecodeResult(env, gb.release(env), fsize);
}

}  // namespace

void InitZstd(Napi::Env env, Napi::Object exports) {
  exports.Set("zstdCompress", Napi::Function::New(env, Compress));
  exports.Set("zstdDecompressInto", Napi::Function::New(env, DecompressInto));
  exports.Set("zstdDecodeStream", Napi::Function::New(env, DecodeStream));
  exports.Set("zstdVersion", Napi::String::New(env, ZSTD_versionString()));
  exports.Set("zstdMaxLevel", Napi::Number::New(env, ZSTD_maxCLevel()));
}

}  // namespace kz
