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

// bzip2Compress(input, blockSize100k, workFactor) -> Buffer
Napi::Value Compress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  int block = (int)IntArg(info, 1, 1, 9);
  int work = (int)IntArg(info, 2, 0, 250);
  bz_stream s;
  std::memset(&s, 0, sizeof s);
  int rc = BZ2_bzCompressInit(&s, block, 0, work);
  if (rc != BZ_OK) throw CodecErr(env, std::string("bzip2 init: ") + BzMsg(rc));
  size_t bound = in.size + in.size / 100 + 1024;
  GrowBuf out(bound, bound * 2 + (1u << 20));
  if (!out.ok()) { BZ2_bzCompressEnd(&s); throw CodecErr(env, "out of memory"); }
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
  return out.release(env);
}

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

Napi::Value DecompressInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  MutBytes out = OutBytes(info, 1);
  size_t produced = 0;
  size_t consumed = DecodeOne(env, in, out.data, out.size, nullptr, &produced);
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(uint32_t(0), Napi::Number::New(env, (double)produced));
  a.Set(uint32_t(1), Napi::Number::New(env, (double)consumed));
  return a;
}

Napi::Value DecodeStream(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  size_t maxOut = (size_t)IntArg(info, 1, 0, (int64_t)1 << 46);
  // Reject non-bzip2 quickly: "BZh1".."BZh9".
  if (in.size < 4 || in.data[0] != 'B' || in.data[1] != 'Z' || in.data[2] != 'h' || in.data[3] < '1' || in.data[3] > '9')
    throw CodecErr(env, "bzip2: not a bzip2 stream (bad magic)");
  size_t guess = in.size * 4;
  GrowBuf gb(guess < (1u << 20) ? guess : (1u << 20), maxOut);
  if (!gb.ok()) throw CodecErr(env, "out of memory");
  size_t produced = 0;
  size_t consumed = DecodeOne(env, in, nullptr, 0, &gb, &produced);
  return DecodeResult(env, gb.release(env), consumed);
}

}  // namespace

void InitBzip2(Napi::Env env, Napi::Object exports) {
  exports.Set("bzip2Compress", Napi::Function::New(env, Compress));
  exports.Set("bzip2DecompressInto", Napi::Function::New(env, DecompressInto));
  exports.Set("bzip2DecodeStream", Napi::Function::New(env, DecodeStream));
  exports.Set("bzip2Version", Napi::String::New(env, BZ2_bzlibVersion()));
}

}  // namespace kz
