// LZ4 via the system liblz4 (1.9.4): the kernel's legacy frame (as written by
// `lz4 -l`) and the normal LZ4 frame (LZ4F, as written by `lz4`).
#include <lz4.h>
#include <lz4frame.h>
#include <lz4hc.h>

#include "kzcodec.h"

namespace kz {
namespace {

const uint32_t kLegacyMagic = 0x184C2102u;
const size_t kLegacyBlock = 8u << 20;

inline void PutLE32(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
inline uint32_t GetLE32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

// lz4CompressLegacy(input, level)
// Mirrors lz4io's legacy writer: 8 MiB blocks, each compressed on its own;
// level < 3 uses LZ4_compress_fast (acceleration 1), else LZ4_compress_HC.
struct LegacyEncoder {
  struct Options {
    int level;
  };
  static Options Read(const Napi::CallbackInfo& info, size_t i) { return Options{(int)IntArg(info, i, 1, LZ4HC_CLEVEL_MAX)}; }
  static void Encode(Napi::Env env, Bytes in, const Options& o, GrowBuf& out) {
    size_t nblocks = (in.size + kLegacyBlock - 1) / kLegacyBlock;
    size_t bound = 4 + nblocks * (4 + (size_t)LZ4_compressBound((int)kLegacyBlock));
    if (!out.reset(bound, bound)) throw CodecErr(env, "out of memory");
    PutLE32(out.data(), kLegacyMagic);
    out.len = 4;
    void* hcState = nullptr;
    if (o.level >= 3) {
      hcState = std::malloc((size_t)LZ4_sizeofStateHC());
      if (!hcState) throw CodecErr(env, "out of memory");
    }
    for (size_t pos = 0; pos < in.size; pos += kLegacyBlock) {
      int n = (int)((in.size - pos) < kLegacyBlock ? (in.size - pos) : kLegacyBlock);
      char* dst = (char*)out.data() + out.len + 4;
      int cap = (int)(out.cap() - out.len - 4);
      int c = o.level < 3 ? LZ4_compress_fast((const char*)in.data + pos, dst, n, cap, 1)
                          : LZ4_compress_HC_extStateHC(hcState, (const char*)in.data + pos, dst, n, cap, o.level);
      if (c <= 0) { std::free(hcState); throw CodecErr(env, "lz4: block compression failed"); }
      PutLE32(out.data() + out.len, (uint32_t)c);
      out.len += 4 + (size_t)c;
    }
    std::free(hcState);
  }
};

// lz4CompressFrame(input, level, blockSizeId, linked, contentChecksum, blockChecksum, contentSize, favorDecSpeed)
// Mirrors lz4io's frame writer (autoFlush, one block-sized chunk per update;
// input smaller than one block goes through LZ4F_compressFrame).
struct FrameEncoder {
  struct Options {
    LZ4F_preferences_t prefs;
    bool withSize;
    size_t blockSize;
  };
  static Options Read(const Napi::CallbackInfo& info, size_t i) {
    Options o;
    std::memset(&o.prefs, 0, sizeof o.prefs);
    o.prefs.compressionLevel = (int)IntArg(info, i, -65536, LZ4HC_CLEVEL_MAX);
    int bsid = (int)IntArg(info, i + 1, 4, 7);
    o.prefs.autoFlush = 1;
    o.prefs.frameInfo.blockSizeID = (LZ4F_blockSizeID_t)bsid;
    o.prefs.frameInfo.blockMode = BoolArg(info, i + 2) ? LZ4F_blockLinked : LZ4F_blockIndependent;
    o.prefs.frameInfo.contentChecksumFlag = BoolArg(info, i + 3) ? LZ4F_contentChecksumEnabled : LZ4F_noContentChecksum;
    o.prefs.frameInfo.blockChecksumFlag = BoolArg(info, i + 4) ? LZ4F_blockChecksumEnabled : LZ4F_noBlockChecksum;
    o.withSize = BoolArg(info, i + 5);
    o.prefs.favorDecSpeed = BoolArg(info, i + 6) ? 1 : 0;
    o.blockSize = (size_t)1 << (8 + 2 * bsid);  // 4:64K 5:256K 6:1M 7:4M
    return o;
  }
  static void Encode(Napi::Env env, Bytes in, const Options& o, GrowBuf& out) {
    LZ4F_preferences_t prefs = o.prefs;
    const size_t blockSize = o.blockSize;
    if (o.withSize) prefs.frameInfo.contentSize = in.size;
    if (in.size < blockSize) {
      size_t bound = LZ4F_compressFrameBound(in.size, &prefs);
      if (!out.reset(bound, bound)) throw CodecErr(env, "out of memory");
      size_t r = LZ4F_compressFrame(out.data(), out.cap(), in.data, in.size, &prefs);
      if (LZ4F_isError(r)) throw CodecErr(env, std::string("lz4 frame: ") + LZ4F_getErrorName(r));
      out.len = r;
      return;
    }
    LZ4F_cctx* cctx = nullptr;
    size_t r = LZ4F_createCompressionContext(&cctx, LZ4F_VERSION);
    if (LZ4F_isError(r)) throw CodecErr(env, std::string("lz4 frame: ") + LZ4F_getErrorName(r));
    size_t perChunk = LZ4F_compressBound(blockSize, &prefs);
    size_t nchunks = (in.size + blockSize - 1) / blockSize;
    size_t bound = LZ4F_HEADER_SIZE_MAX + nchunks * perChunk + 64;
    if (!out.reset(bound, bound)) { LZ4F_freeCompressionContext(cctx); throw CodecErr(env, "out of memory"); }
    r = LZ4F_compressBegin(cctx, out.data(), out.cap(), &prefs);
    if (LZ4F_isError(r)) { LZ4F_freeCompressionContext(cctx); throw CodecErr(env, std::string("lz4 frame: ") + LZ4F_getErrorName(r)); }
    out.len = r;
    for (size_t pos = 0; pos < in.size; pos += blockSize) {
      size_t n = in.size - pos < blockSize ? in.size - pos : blockSize;
      r = LZ4F_compressUpdate(cctx, out.data() + out.len, out.cap() - out.len, in.data + pos, n, nullptr);
      if (LZ4F_isError(r)) { LZ4F_freeCompressionContext(cctx); throw CodecErr(env, std::string("lz4 frame: ") + LZ4F_getErrorName(r)); }
      out.len += r;
    }
    r = LZ4F_compressEnd(cctx, out.data() + out.len, out.cap() - out.len, nullptr);
    LZ4F_freeCompressionContext(cctx);
    if (LZ4F_isError(r)) throw CodecErr(env, std::string("lz4 frame: ") + LZ4F_getErrorName(r));
    out.len += r;
  }
};

// Legacy decode. strict: every 4-byte size must start a valid block and all
// input is consumed (decompressInto). Not strict (decodeStream): the frame has
// no end mark, so it ends after a short block, at the end of input, at a new
// magic, or before a size field that cannot start a valid block.
size_t LegacyDecode(Napi::Env env, Bytes in, bool strict, uint8_t* fixed, size_t fixedSize, GrowBuf* gb,
                    size_t* produced) {
  if (in.size < 4 || GetLE32(in.data) != kLegacyMagic) throw CodecErr(env, "lz4: not an lz4 legacy frame (bad magic)");
  size_t pos = 4, outLen = 0;
  const uint32_t maxBlock = (uint32_t)LZ4_compressBound((int)kLegacyBlock);
  bool first = true;
  while (pos < in.size) {
    if (in.size - pos < 4) {
      if (strict) throw CodecErr(env, "lz4: truncated block header");
      break;
    }
    uint32_t c = GetLE32(in.data + pos);
    bool plausible = c != 0 && c <= maxBlock && c <= in.size - pos - 4 && c != kLegacyMagic;
    if (!plausible) {
      if (strict || first) {
        if (c > in.size - pos - 4 && c <= maxBlock) throw CodecErr(env, "lz4: truncated stream");
        throw CodecErr(env, "lz4: corrupt block size " + std::to_string(c));
      }
      break;
    }
    uint8_t* dst;
    size_t room;
    if (fixed) {
      dst = fixed + outLen;
      room = fixedSize - outLen;
    } else {
      while (gb->cap() - gb->len < kLegacyBlock && gb->grow()) {}
      dst = gb->data() + gb->len;
      room = gb->cap() - gb->len;
    }
    int cap = (int)(room < kLegacyBlock ? room : kLegacyBlock);
    int d = LZ4_decompress_safe((const char*)in.data + pos + 4, (char*)dst, (int)c, cap);
    if (d < 0) {
      if (strict || first || cap < (int)kLegacyBlock) {
        if (cap < (int)kLegacyBlock)
          throw CodecErr(env, "lz4: corrupt block, or output larger than " + std::to_string(fixed ? fixedSize : gb->cap()) + " bytes");
        throw CodecErr(env, "lz4: corrupt block");
      }
      break;
    }
    first = false;
    pos += 4 + c;
    outLen += (size_t)d;
    if (gb) gb->len += (size_t)d;
    if ((size_t)d < kLegacyBlock && !strict) break;
  }
  if (first && !strict) throw CodecErr(env, "lz4: empty legacy frame");
  *produced = outLen;
  return pos;
}

size_t FrameDecode(Napi::Env env, Bytes in, uint8_t* fixed, size_t fixedSize, GrowBuf* gb, size_t* produced) {
  LZ4F_dctx* dctx = nullptr;
  size_t r = LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION);
  if (LZ4F_isError(r)) throw CodecErr(env, std::string("lz4 frame: ") + LZ4F_getErrorName(r));
  size_t pos = 0, outLen = 0;
  bool done = false;
  while (!done) {
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
    uint8_t probe;
    bool probing = room == 0;
    size_t dstSize = probing ? 1 : room;
    size_t srcSize = in.size - pos;
    r = LZ4F_decompress(dctx, probing ? &probe : dst, &dstSize, in.data + pos, &srcSize, nullptr);
    if (LZ4F_isError(r)) {
      LZ4F_freeDecompressionContext(dctx);
      throw CodecErr(env, std::string("lz4 frame: ") + LZ4F_getErrorName(r));
    }
    if (probing && dstSize > 0) {
      LZ4F_freeDecompressionContext(dctx);
      throw CodecErr(env, "lz4 frame: output larger than " + std::to_string(fixed ? fixedSize : gb->cap()) + " bytes");
    }
    pos += srcSize;
    outLen += dstSize;
    if (gb) gb->len += dstSize;
    if (r == 0) done = true;
    else if (srcSize == 0 && dstSize == 0) {
      LZ4F_freeDecompressionContext(dctx);
      if (pos >= in.size) throw CodecErr(env, "lz4 frame: truncated stream");
      throw CodecErr(env, "lz4 frame: decoder made no progress");
    }
  }
  LZ4F_freeDecompressionContext(dctx);
  *produced = outLen;
  return pos;
}

// lz4DecompressInto(input, out, legacy), lz4DecodeStream(input, maxOutput, legacy)
struct Decoder {
  struct Options {
    bool legacy;
    // decompressInto: every block must be valid and all input consumed.
    bool strict;
  };
  static Options ReadInto(const Napi::CallbackInfo& info, size_t i) { return Options{BoolArg(info, i), true}; }
  static Options ReadStream(const Napi::CallbackInfo& info, size_t i) { return Options{BoolArg(info, i), false}; }
  static size_t StreamStart(Napi::Env env, Bytes in, const Options& o, size_t) {
    if (!o.legacy && (in.size < 4 || GetLE32(in.data) != 0x184D2204u)) throw CodecErr(env, "lz4 frame: bad magic");
    if (o.legacy && (in.size < 4 || GetLE32(in.data) != kLegacyMagic)) throw CodecErr(env, "lz4: not an lz4 legacy frame (bad magic)");
    return FirstGuess(in, 4);
  }
  static size_t Decode(Napi::Env env, Bytes in, const Options& o, uint8_t* fixed, size_t fixedSize, GrowBuf* gb,
                       size_t* produced) {
    return o.legacy ? LegacyDecode(env, in, o.strict, fixed, fixedSize, gb, produced)
                    : FrameDecode(env, in, fixed, fixedSize, gb, produced);
  }
};

}  // namespace

void InitLz4(Napi::Env env, Napi::Object exports) {
  ExportEncoder<LegacyEncoder>(env, exports, "lz4CompressLegacy");
  ExportEncoder<FrameEncoder>(env, exports, "lz4CompressFrame");
  ExportDecoder<Decoder>(env, exports, "lz4");
  exports.Set("lz4Version", Napi::String::New(env, LZ4_versionString()));
}

}  // namespace kz
