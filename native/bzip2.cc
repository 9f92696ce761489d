// .bz2 streams via the system libbz2 (1.0.8): the bzip2 tool's own library,
// so compress output equals `bzip2 -N` byte for byte (workFactor 30 = tool default).
#include <bzlib.h>

#include "kzcodec.h"

namespace kz {
namespace {

const char* BzMsg(int rc) {
  switch (rc) {
    case BZ_DATA_ERROR: return "corrupt data (CRC or structure)";
    case BZ_DATA_ERROR_MAGIC: return "not a bzip2 stream (bad magic)";
    case BZ_MEM_ERROR: return "out of memory";
    case BZ_PARAM_ERROR: return "bad parameter";
    case BZ_CONFIG_ERROR: return "libbz2 misconfigured";
    case BZ_SEQUENCE_ERROR: return "sequence error";
    default: return "bzip2 error";
  }
}

const unsigned kChunk = 1u << 30;
const unsigned kOutWindow = 1u << 20;

// bzip2Compress(input, blockSize100k, workFactor)
struct Encoder {
  struct Options {
    int block, work;
  };
  static Options Read(const Napi::CallbackInfo& info, size_t i) {
    return Options{(int)IntArg(info, i, 1, 9), (int)IntArg(info, i + 1, 0, 250)};
  }
  static void Encode(Napi::Env env, Bytes in, const Options& o, GrowBuf& out) {
    bz_stream s;
    std::memset(&s, 0, sizeof s);
    int rc = BZ2_bzCompressInit(&s, o.block, 0, o.work);
    if (rc != BZ_OK) throw CodecErr(env, std::string("bzip2 init: ") + BzMsg(rc));
    size_t bound = in.size + in.size / 100 + 1024;
    if (!out.reset(bound, bound * 2 + (1u << 20))) { BZ2_bzCompressEnd(&s); throw CodecErr(env, "out of memory"); }
    size_t inPos = 0;
    for (;;) {
      size_t left = in.size - inPos;
      unsigned chunk = left > kChunk ? kChunk : (unsigned)left;
      s.next_in = (char*)(in.data + inPos);
      s.avail_in = chunk;
      if (out.len == out.cap() && !out.grow()) { BZ2_bzCompressEnd(&s); throw CodecErr(env, "bzip2 output over bound"); }
      size_t room = out.cap() - out.len;
      s.next_out = (char*)(out.data() + out.len);
      s.avail_out = room > kChunk ? kChunk : (unsigned)room;
      unsigned before = s.avail_out;
      int action = (left == chunk) ? BZ_FINISH : BZ_RUN;
      rc = BZ2_bzCompress(&s, action);
      out.len += before - s.avail_out;
      inPos += chunk - s.avail_in;
      if (rc == BZ_STREAM_END) break;
      if (rc != BZ_RUN_OK && rc != BZ_FINISH_OK) { BZ2_bzCompressEnd(&s); throw CodecErr(env, std::string("bzip2: ") + BzMsg(rc)); }
    }
    BZ2_bzCompressEnd(&s);
  }
};

size_t DecodeOne(Napi::Env env, Bytes in, uint8_t* fixed, size_t fixedSize, GrowBuf* gb, size_t* produced) {
  bz_stream s;
  std::memset(&s, 0, sizeof s);
  int rc = BZ2_bzDecompressInit(&s, 0, 0);
  if (rc != BZ_OK) throw CodecErr(env, std::string("bzip2 init: ") + BzMsg(rc));
  size_t inPos = 0, outLen = 0;
  for (;;) {
    size_t left = in.size - inPos;
    unsigned chunk = left > kChunk ? kChunk : (unsigned)left;
    s.next_in = (char*)(in.data + inPos);
    s.avail_in = chunk;
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
    char probe;
    bool probing = room == 0;
    s.next_out = probing ? &probe : (char*)dst;
    s.avail_out = probing ? 1 : (room > kOutWindow ? kOutWindow : (unsigned)room);
    unsigned before = s.avail_out;
    rc = BZ2_bzDecompress(&s);
    size_t got = before - s.avail_out;
    inPos += chunk - s.avail_in;
    if (probing) {
      if (rc == BZ_STREAM_END && got == 0) break;
      if (rc == BZ_OK && got == 0) {
        if (inPos == in.size) { BZ2_bzDecompressEnd(&s); throw CodecErr(env, "bzip2: truncated stream"); }
        continue;
      }
      BZ2_bzDecompressEnd(&s);
      if (rc == BZ_OK || rc == BZ_STREAM_END)
        throw CodecErr(env, "bzip2: output larger than " + std::to_string(fixed ? fixedSize : gb->cap()) + " bytes");
      throw CodecErr(env, std::string("bzip2: ") + BzMsg(rc));
    }
    outLen += got;
    if (gb) gb->len += got;
    if (rc == BZ_STREAM_END) break;
    if (rc != BZ_OK) { BZ2_bzDecompressEnd(&s); throw CodecErr(env, std::string("bzip2: ") + BzMsg(rc)); }
    if (inPos == in.size && got == 0) { BZ2_bzDecompressEnd(&s); throw CodecErr(env, "bzip2: truncated stream"); }
  }
  BZ2_bzDecompressEnd(&s);
  *produced = outLen;
  return inPos;
}

struct Decoder {
  struct Options {};
  static Options ReadInto(const Napi::CallbackInfo&, size_t) { return {}; }
  static Options ReadStream(const Napi::CallbackInfo&, size_t) { return {}; }
  static size_t StreamStart(Napi::Env env, Bytes in, const Options&, size_t) {
    // Reject non-bzip2 quickly: "BZh1".."BZh9".
    if (in.size < 4 || in.data[0] != 'B' || in.data[1] != 'Z' || in.data[2] != 'h' || in.data[3] < '1' || in.data[3] > '9')
      throw CodecErr(env, "bzip2: not a bzip2 stream (bad magic)");
    return FirstGuess(in, 4);
  }
  static size_t Decode(Napi::Env env, Bytes in, const Options&, uint8_t* fixed, size_t fixedSize, GrowBuf* gb,
                       size_t* produced) {
    return DecodeOne(env, in, fixed, fixedSize, gb, produced);
  }
};

}  // namespace

void InitBzip2(Napi::Env env, Napi::Object exports) {
  ExportEncoder<Encoder>(env, exports, "bzip2Compress");
  ExportDecoder<Decoder>(env, exports, "bzip2");
  exports.Set("bzip2Version", Napi::String::New(env, BZ2_bzlibVersion()));
}

}  // namespace kz
