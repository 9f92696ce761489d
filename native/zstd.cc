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

// zstdCompress(input, level, windowLog(0 = level default), long, nbWorkers, checksum, knownSize)
struct Encoder {
  struct Options {
    int level, wlog, workers;
    bool ldm, checksum, knownSize;
  };
  static Options Read(const Napi::CallbackInfo& info, size_t i) {
    Options o;
    o.level = (int)IntArg(info, i, ZSTD_minCLevel(), ZSTD_maxCLevel());
    o.wlog = (int)IntArg(info, i + 1, 0, ZSTD_WINDOWLOG_MAX_64);
    o.ldm = BoolArg(info, i + 2);
    o.workers = (int)IntArg(info, i + 3, 0, 64);
    o.checksum = BoolArg(info, i + 4);
    o.knownSize = BoolArg(info, i + 5);
    return o;
  }
  static void Encode(Napi::Env env, Bytes in, const Options& o, GrowBuf& out) {
    CCtxGuard g;
    if (!g.c) throw CodecErr(env, "zstd: out of memory");
    Set(env, g.c, ZSTD_c_compressionLevel, o.level, "level");
    Set(env, g.c, ZSTD_c_checksumFlag, o.checksum ? 1 : 0, "checksum");
    Set(env, g.c, ZSTD_c_contentSizeFlag, 1, "contentSize");
    if (o.ldm) Set(env, g.c, ZSTD_c_enableLongDistanceMatching, 1, "long");
    if (o.wlog) Set(env, g.c, ZSTD_c_windowLog, o.wlog, "windowLog");
    if (o.workers) Set(env, g.c, ZSTD_c_nbWorkers, o.workers, "nbWorkers (libzstd built without threads?)");
    if (o.knownSize) {
      size_t r = ZSTD_CCtx_setPledgedSrcSize(g.c, in.size);
      if (ZSTD_isError(r)) throw CodecErr(env, std::string("zstd: ") + ZSTD_getErrorName(r));
    }
    size_t bound = ZSTD_compressBound(in.size) + (1u << 16);
    if (!out.reset(bound, bound * 2 + (1u << 20))) throw CodecErr(env, "out of memory");
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
  }
};

// The first frame only. The frame's block structure bounds its output
// (ZSTD_decompressBound), so decodeStream decodes it in one pass into a
// buffer of min(bound, maxOutput): no window buffer, never more than
// maxOutput allocated.
struct Decoder {
  struct Options {};
  static Options ReadInto(const Napi::CallbackInfo&, size_t) { return {}; }
  static Options ReadStream(const Napi::CallbackInfo&, size_t) { return {}; }

  static size_t FrameSize(Napi::Env env, Bytes in) {
    size_t fsize = ZSTD_findFrameCompressedSize(in.data, in.size);
    if (ZSTD_isError(fsize)) throw CodecErr(env, std::string("zstd: ") + ZSTD_getErrorName(fsize));
    return fsize;
  }

  // min(the frame's output bound, maxOut); refuses a frame that says it is larger.
  static size_t StreamOutput(Napi::Env env, Bytes in, size_t fsize, size_t maxOut) {
    unsigned long long csize = ZSTD_getFrameContentSize(in.data, fsize);
    if (csize == ZSTD_CONTENTSIZE_ERROR) throw CodecErr(env, "zstd: bad frame header");
    if (csize != ZSTD_CONTENTSIZE_UNKNOWN && csize > maxOut)
      throw CodecErr(env, "zstd: output " + std::to_string(csize) + " bytes exceeds limit of " + std::to_string(maxOut));
    unsigned long long bound = ZSTD_decompressBound(in.data, fsize);
    if (bound == ZSTD_CONTENTSIZE_ERROR) throw CodecErr(env, "zstd: corrupt frame");
    return bound > maxOut ? maxOut : (size_t)bound;
  }

  static size_t StreamStart(Napi::Env env, Bytes in, const Options&, size_t maxOut) {
    if (in.size < 4 || !(in.data[0] == 0x28 && in.data[1] == 0xB5 && in.data[2] == 0x2F && in.data[3] == 0xFD))
      throw CodecErr(env, "zstd: bad magic");
    return StreamOutput(env, in, FrameSize(env, in), maxOut);
  }

  static size_t Decode(Napi::Env env, Bytes in, const Options&, uint8_t* fixed, size_t fixedSize, GrowBuf* gb,
                       size_t* produced) {
    size_t fsize = FrameSize(env, in);
    uint8_t* dst = fixed;
    size_t room = fixedSize;
    if (!fixed) {
      dst = gb->data();
      room = StreamOutput(env, in, fsize, gb->limit());
    }
    DCtxGuard g;
    if (!g.d) throw CodecErr(env, "zstd: out of memory");
    size_t r = ZSTD_decompressDCtx(g.d, dst, room, in.data, fsize);
    if (ZSTD_isError(r)) {
      if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) {
        if (fixed) throw CodecErr(env, "zstd: output larger than " + std::to_string(fixedSize) + " bytes");
        throw CodecErr(env, "zstd: output exceeds limit of " + std::to_string(gb->limit()) + " bytes");
      }
      throw CodecErr(env, std::string("zstd: ") + ZSTD_getErrorName(r));
    }
    if (gb) gb->len = r;
    *produced = r;
    return fsize;
  }
};

}  // namespace

void InitZstd(Napi::Env env, Napi::Object exports) {
  ExportEncoder<Encoder>(env, exports, "zstdCompress");
  ExportDecoder<Decoder>(env, exports, "zstd");
  exports.Set("zstdVersion", Napi::String::New(env, ZSTD_versionString()));
  exports.Set("zstdMaxLevel", Napi::Number::New(env, ZSTD_maxCLevel()));
}

}  // namespace kz
