// lzop files via the system liblzo2 (2.10). The file format is lzop 1.04's:
// header as lzop writes it when reading stdin (no name, mode 0), 256 KiB
// blocks, Adler-32 of the uncompressed data, a block stored raw when it does
// not shrink, a zero length at the end. lzop levels: 1 = LZO1X-1(15),
// 2-6 = LZO1X-1, 7-9 = LZO1X-999 at that level.
#include <lzo/lzo1x.h>
#include <lzo/lzoconf.h>

#include <vector>

#include "kzcodec.h"

namespace kz {
namespace {

const uint8_t kMagic[9] = {0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a};
const size_t kBlock = 256u * 1024u;
const size_t kMaxBlock = 64u * 1024u * 1024u;

enum : uint32_t {
  F_ADLER32_D = 0x1, F_ADLER32_C = 0x2, F_STDIN = 0x4, F_STDOUT = 0x8, F_NAME_DEFAULT = 0x10,
  F_DOSISH = 0x20, F_H_EXTRA_FIELD = 0x40, F_H_GMTDIFF = 0x80, F_CRC32_D = 0x100, F_CRC32_C = 0x200,
  F_MULTIPART = 0x400, F_H_FILTER = 0x800, F_H_CRC32 = 0x1000, F_H_PATH = 0x2000,
};

inline void PutBE32(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back((uint8_t)(x >> 24)); v.push_back((uint8_t)(x >> 16)); v.push_back((uint8_t)(x >> 8)); v.push_back((uint8_t)x);
}
inline void PutBE16(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back((uint8_t)(x >> 8)); v.push_back((uint8_t)x);
}
inline uint32_t GetBE32(const uint8_t* p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
inline uint32_t GetBE16(const uint8_t* p) { return ((uint32_t)p[0] << 8) | p[1]; }

struct LzoInit {
  LzoInit() { ok = lzo_init() == LZO_E_OK; }
  bool ok;
};
bool EnsureInit() {
  static LzoInit once;  // lzo_init only checks the ABI; idempotent and thread-safe here
  return once.ok;
}

// lzopCompress(input, level(1-9), mtimeLow, mtimeHigh, flags, optimize)
struct Encoder {
  struct Options {
    int level;
    uint32_t mtimeLow, mtimeHigh, flags;
    bool optimize;
  };
  static Options Read(const Napi::CallbackInfo& info, size_t i) {
    Options o;
    o.level = (int)IntArg(info, i, 1, 9);
    o.mtimeLow = (uint32_t)IntArg(info, i + 1, 0, 0xffffffffLL);
    o.mtimeHigh = (uint32_t)IntArg(info, i + 2, 0, 0xffffffffLL);
    o.flags = (uint32_t)IntArg(info, i + 3, 0, 0xffffffffLL);
    o.optimize = BoolArg(info, i + 4);
    return o;
  }
  static void Encode(Napi::Env env, Bytes in, const Options& o, GrowBuf& result) {
    if (!EnsureInit()) throw CodecErr(env, "lzo: lzo_init failed");
    const int level = o.level;
    const uint32_t flags = o.flags;
    if (flags & (F_H_EXTRA_FIELD | F_H_FILTER | F_MULTIPART | F_CRC32_D | F_CRC32_C | F_H_CRC32))
      throw CodecErr(env, "lzo: unsupported lzop header flags");
    int method = level == 1 ? 2 : level <= 6 ? 1 : 3;
    int storedLevel = level == 1 ? 1 : level <= 6 ? 5 : level;

    std::vector<uint8_t> out;
    size_t nblocks = (in.size + kBlock - 1) / kBlock;
    out.reserve(64 + nblocks * 16 + in.size + in.size / 16);
    out.insert(out.end(), kMagic, kMagic + 9);
    size_t hstart = out.size();
    PutBE16(out, 0x1040);                       // lzop 1.04
    PutBE16(out, lzo_version() & 0xffff);       // library version
    PutBE16(out, 0x0940);                       // version needed to extract
    out.push_back((uint8_t)method);
    out.push_back((uint8_t)storedLevel);
    PutBE32(out, flags);
    PutBE32(out, 0);                            // mode (stdin: 0)
    PutBE32(out, o.mtimeLow);
    PutBE32(out, o.mtimeHigh);
    out.push_back(0);                           // no name
    lzo_uint32_t hsum = lzo_adler32(1, out.data() + hstart, (lzo_uint)(out.size() - hstart));
    PutBE32(out, hsum);

    size_t wrkSize = method == 3 ? LZO1X_999_MEM_COMPRESS : method == 2 ? LZO1X_1_15_MEM_COMPRESS : LZO1X_1_MEM_COMPRESS;
    std::vector<uint8_t> wrk(wrkSize);
    std::vector<uint8_t> cbuf(kBlock + kBlock / 16 + 64 + 3);
    std::vector<uint8_t> tmp;
    for (size_t pos = 0; pos < in.size; pos += kBlock) {
      size_t n = in.size - pos < kBlock ? in.size - pos : kBlock;
      const uint8_t* src = in.data + pos;
      lzo_uint clen = 0;
      int r;
      if (method == 3)
        r = lzo1x_999_compress_level(src, (lzo_uint)n, cbuf.data(), &clen, wrk.data(), nullptr, 0, nullptr, level);
      else if (method == 2)
        r = lzo1x_1_15_compress(src, (lzo_uint)n, cbuf.data(), &clen, wrk.data());
      else
        r = lzo1x_1_compress(src, (lzo_uint)n, cbuf.data(), &clen, wrk.data());
      if (r != LZO_E_OK) throw CodecErr(env, "lzo: compression failed (" + std::to_string(r) + ")");
      if (o.optimize && clen < n) {
        tmp.assign(src, src + n);
        lzo_uint newLen = (lzo_uint)n;
        r = lzo1x_optimize(cbuf.data(), clen, tmp.data(), &newLen, nullptr);
        if (r != LZO_E_OK || newLen != n) throw CodecErr(env, "lzo: optimize failed");
      }
      PutBE32(out, (uint32_t)n);
      bool stored = clen >= n;
      PutBE32(out, (uint32_t)(stored ? n : clen));
      if (flags & F_ADLER32_D) PutBE32(out, lzo_adler32(1, src, (lzo_uint)n));
      if (!stored && (flags & F_ADLER32_C)) PutBE32(out, lzo_adler32(1, cbuf.data(), clen));
      if (stored) out.insert(out.end(), src, src + n);
      else out.insert(out.end(), cbuf.data(), cbuf.data() + clen);
    }
    PutBE32(out, 0);
    if (!result.reset(out.size(), out.size())) throw CodecErr(env, "out of memory");
    std::memcpy(result.data(), out.data(), out.size());
    result.len = out.size();
  }
};

// Parse and decode one lzop file (first member). Returns consumed bytes.
size_t DecodeOne(Napi::Env env, Bytes in, uint8_t* fixed, size_t fixedSize, GrowBuf* gb, size_t* produced) {
  if (!EnsureInit()) throw CodecErr(env, "lzo: lzo_init failed");
  const uint8_t* p = in.data;
  size_t n = in.size, pos = 0;
  auto need = [&](size_t k) {
    if (n - pos < k) throw CodecErr(env, "lzo: truncated stream");
  };
  need(9);
  if (std::memcmp(p, kMagic, 9) != 0) throw CodecErr(env, "lzo: not an lzop file (bad magic)");
  pos = 9;
  size_t hstart = pos;
  need(6);
  uint32_t version = GetBE16(p + pos);
  pos += 4;  // version, lib version
  if (version < 0x0900) throw CodecErr(env, "lzo: unsupported lzop version");
  if (version >= 0x0940) {
    need(2);
    uint32_t needed = GetBE16(p + pos);
    pos += 2;
    if (needed > 0x1040 || needed < 0x0900) throw CodecErr(env, "lzo: lzop version needed to extract is unsupported");
  }
  need(1);
  uint32_t method = p[pos++];
  if (method < 1 || method > 3) throw CodecErr(env, "lzo: unsupported method " + std::to_string(method));
  if (version >= 0x0940) { need(1); pos++; }  // level
  need(4);
  uint32_t flags = GetBE32(p + pos);
  pos += 4;
  if (flags & F_MULTIPART) throw CodecErr(env, "lzo: multipart lzop files are not supported");
  if (flags & F_H_FILTER) { need(4); pos += 4; }
  need(8);
  pos += 8;  // mode, mtime low
  if (version >= 0x0940) { need(4); pos += 4; }  // mtime high
  need(1);
  size_t nameLen = p[pos++];
  need(nameLen);
  pos += nameLen;
  need(4);
  uint32_t hsum = GetBE32(p + pos);
  uint32_t calc = (flags & F_H_CRC32) ? lzo_crc32(0, p + hstart, (lzo_uint)(pos - hstart))
                                      : lzo_adler32(1, p + hstart, (lzo_uint)(pos - hstart));
  if (hsum != calc) throw CodecErr(env, "lzo: header checksum mismatch");
  pos += 4;
  if (flags & F_H_EXTRA_FIELD) {
    need(4);
    uint32_t elen = GetBE32(p + pos);
    size_t estart = pos;
    pos += 4;
    need(elen);
    pos += elen;
    need(4);
    uint32_t esum = GetBE32(p + pos);
    uint32_t ecalc = (flags & F_H_CRC32) ? lzo_crc32(0, p + estart, (lzo_uint)(pos - estart))
                                         : lzo_adler32(1, p + estart, (lzo_uint)(pos - estart));
    if (esum != ecalc) throw CodecErr(env, "lzo: extra field checksum mismatch");
    pos += 4;
  }
  size_t outLen = 0;
  for (;;) {
    need(4);
    uint32_t dlen = GetBE32(p + pos);
    pos += 4;
    if (dlen == 0) break;
    if (dlen > kMaxBlock) throw CodecErr(env, "lzo: corrupt block size");
    need(4);
    uint32_t clen = GetBE32(p + pos);
    pos += 4;
    if (clen == 0 || clen > dlen) throw CodecErr(env, "lzo: corrupt block size");
    uint32_t dAdler = 0, dCrc = 0, cAdler = 0, cCrc = 0;
    if (flags & F_ADLER32_D) { need(4); dAdler = GetBE32(p + pos); pos += 4; }
    if (flags & F_CRC32_D) { need(4); dCrc = GetBE32(p + pos); pos += 4; }
    if (clen < dlen) {
      if (flags & F_ADLER32_C) { need(4); cAdler = GetBE32(p + pos); pos += 4; }
      if (flags & F_CRC32_C) { need(4); cCrc = GetBE32(p + pos); pos += 4; }
    }
    need(clen);
    const uint8_t* src = p + pos;
    if (clen < dlen) {
      if ((flags & F_ADLER32_C) && lzo_adler32(1, src, clen) != cAdler) throw CodecErr(env, "lzo: compressed block checksum mismatch");
      if ((flags & F_CRC32_C) && lzo_crc32(0, src, clen) != cCrc) throw CodecErr(env, "lzo: compressed block checksum mismatch");
    }
    uint8_t* dst;
    if (fixed) {
      if (fixedSize - outLen < dlen) throw CodecErr(env, "lzo: output larger than " + std::to_string(fixedSize) + " bytes");
      dst = fixed + outLen;
    } else {
      while (gb->cap() - gb->len < dlen)
        if (!gb->grow()) throw CodecErr(env, "lzo: output exceeds limit of " + std::to_string(gb->cap()) + " bytes");
      dst = gb->data() + gb->len;
    }
    if (clen == dlen) {
      std::memcpy(dst, src, dlen);
    } else {
      lzo_uint got = dlen;
      int r = lzo1x_decompress_safe(src, clen, dst, &got, nullptr);
      if (r != LZO_E_OK || got != dlen) throw CodecErr(env, "lzo: corrupt block (" + std::to_string(r) + ")");
    }
    if ((flags & F_ADLER32_D) && lzo_adler32(1, dst, dlen) != dAdler) throw CodecErr(env, "lzo: block checksum mismatch");
    if ((flags & F_CRC32_D) && lzo_crc32(0, dst, dlen) != dCrc) throw CodecErr(env, "lzo: block checksum mismatch");
    pos += clen;
    outLen += dlen;
    if (gb) gb->len += dlen;
  }
  *produced = outLen;
  return pos;
}

struct Decoder {
  struct Options {};
  static Options ReadInto(const Napi::CallbackInfo&, size_t) { return {}; }
  static Options ReadStream(const Napi::CallbackInfo&, size_t) { return {}; }
  static size_t StreamStart(Napi::Env, Bytes in, const Options&, size_t) { return FirstGuess(in, 3); }
  static size_t Decode(Napi::Env env, Bytes in, const Options&, uint8_t* fixed, size_t fixedSize, GrowBuf* gb,
                       size_t* produced) {
    return DecodeOne(env, in, fixed, fixedSize, gb, produced);
  }
};

}  // namespace

void InitLzo(Napi::Env env, Napi::Object exports) {
  ExportEncoder<Encoder>(env, exports, "lzopCompress");
  ExportDecoder<Decoder>(env, exports, "lzop");
  exports.Set("lzoVersion", Napi::String::New(env, lzo_version_string()));
}

}  // namespace kz
