// .xz and .lzma ("alone") via the system liblzma (5.4.1): the xz tool's own
// library. The encoder is driven the way xz 5.4 drives it in single-threaded
// mode (lzma_stream_encoder / lzma_alone_encoder, input size unknown), so the
// output equals `xz`/`lzma` run on a pipe.
#include <lzma.h>

#include "kzcodec.h"

namespace kz {
namespace {

const char* LzmaMsg(lzma_ret rc) {
  switch (rc) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_MEMLIMIT_ERROR: return "stream needs more memory than the limit (dictionary too large)";
    case LZMA_FORMAT_ERROR: return "not a recognised stream (bad magic or header)";
    case LZMA_OPTIONS_ERROR: return "unsupported options or filter";
    case LZMA_DATA_ERROR: return "corrupt data";
    case LZMA_BUF_ERROR: return "truncated stream";
    case LZMA_PROG_ERROR: return "programming error";
    case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
    default: return "liblzma error";
  }
}

const size_t kOutWindow = 64u * 1024u;

struct StreamGuard {
  lzma_stream s = LZMA_STREAM_INIT;
  ~StreamGuard() { lzma_end(&s); }
};

// lzmaCompress(input, format(0 xz, 1 alone), preset, extreme, dict, lc, lp, pb,
//              mode, nice, mf, depth, bcjId, check) -> Buffer
// Fields given as -1 keep the preset's value.
Napi::Value Compress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  int format = (int)IntArg(info, 1, 0, 1);
  uint32_t preset = (uint32_t)IntArg(info, 2, 0, 9);
  if (BoolArg(info, 3)) preset |= LZMA_PRESET_EXTREME;
  int64_t dict = IntArg(info, 4, -1, (int64_t)1 << 32);
  int64_t lc = IntArg(info, 5, -1, 4);
  int64_t lp = IntArg(info, 6, -1, 4);
  int64_t pb = IntArg(info, 7, -1, 4);
  int64_t mode = IntArg(info, 8, -1, 2);
  int64_t nice = IntArg(info, 9, -1, 273);
  int64_t mf = IntArg(info, 10, -1, 0x14);
  int64_t depth = IntArg(info, 11, -1, 1 << 30);
  int64_t bcj = IntArg(info, 12, 0, 0x7f);
  int64_t check = IntArg(info, 13, 0, 15);

  lzma_options_lzma opt;
  if (lzma_lzma_preset(&opt, preset)) throw CodecErr(env, "xz: unsupported preset");
  if (dict >= 0) opt.dict_size = (uint32_t)dict;
  if (lc >= 0) opt.lc = (uint32_t)lc;
  if (lp >= 0) opt.lp = (uint32_t)lp;
  if (pb >= 0) opt.pb = (uint32_t)pb;
  if (mode >= 0) opt.mode = (lzma_mode)mode;
  if (nice >= 0) opt.nice_len = (uint32_t)nice;
  if (mf >= 0) opt.mf = (lzma_match_finder)mf;
  if (depth >= 0) opt.depth = (uint32_t)depth;

  StreamGuard g;
  lzma_ret rc;
  if (format == 1) {
    if (bcj != 0) throw CodecErr(env, "lzma: the .lzma format cannot hold a BCJ filter");
    rc = lzma_alone_encoder(&g.s, &opt);
  } else {
    lzma_filter filters[3];
    int n = 0;
    if (bcj != 0) {
      if (!lzma_filter_encoder_is_supported((lzma_vli)bcj)) throw CodecErr(env, "xz: this liblzma has no such BCJ filter");
      filters[n].id = (lzma_vli)bcj;
      filters[n].options = nullptr;
      n++;
    }
    filters[n].id = LZMA_FILTER_LZMA2;
    filters[n].options = &opt;
    n++;
    filters[n].id = LZMA_VLI_UNKNOWN;
    filters[n].options = nullptr;
    if (!lzma_check_is_supported((lzma_check)check)) throw CodecErr(env, "xz: unsupported check");
    rc = lzma_stream_encoder(&g.s, filters, (lzma_check)check);
  }
  if (rc != LZMA_OK) throw CodecErr(env, std::string(format == 1 ? "lzma" : "xz") + " encoder: " + LzmaMsg(rc));

  size_t bound = lzma_stream_buffer_bound(in.size) + 4096;
  GrowBuf out(bound, bound * 2 + (1u << 20));
  if (!out.ok()) throw CodecErr(env, "out of memory");
  g.s.next_in = in.data;
  g.s.avail_in = in.size;
  for (;;) {
    if (out.len == out.cap() && !out.grow()) throw CodecErr(env, "xz output over bound");
    g.s.next_out = out.data() + out.len;
    g.s.avail_out = out.cap() - out.len;
    size_t before = g.s.avail_out;
    rc = lzma_code(&g.s, LZMA_FINISH);
    out.len += before - g.s.avail_out;
    if (rc == LZMA_STREAM_END) break;
    if (rc != LZMA_OK) throw CodecErr(env, std::string("xz encode: ") + LzmaMsg(rc));
  }
  return out.release(env);
}

size_t DecodeOne(Napi::Env env, Bytes in, int format, uint64_t memlimit, uint8_t* fixed, size_t fixedSize,
                 GrowBuf* gb, size_t* produced) {
  const char* name = format == 1 ? "lzma" : "xz";
  StreamGuard g;
  lzma_ret rc = format == 1 ? lzma_alone_decoder(&g.s, memlimit) : lzma_stream_decoder(&g.s, memlimit, 0);
  if (rc != LZMA_OK) throw CodecErr(env, std::string(name) + " decoder: " + LzmaMsg(rc));
  g.s.next_in = in.data;
  g.s.avail_in = in.size;
  size_t outLen = 0;
  for (;;) {
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
    g.s.next_out = probing ? &probe : dst;
    // Small output windows keep the BCJ pass over data still in cache (as
    // the xz tool's 8 KiB buffers do); one 65 MB window is ~20% slower.
    g.s.avail_out = probing ? 1 : (room < kOutWindow ? room : kOutWindow);
    size_t before = g.s.avail_out;
    rc = lzma_code(&g.s, LZMA_FINISH);
    size_t got = before - g.s.avail_out;
    if (probing && got > 0)
      throw CodecErr(env, std::string(name) + ": output larger than " + std::to_string(fixed ? fixedSize : gb->cap()) + " bytes");
    outLen += got;
    if (gb) gb->len += got;
    if (rc == LZMA_STREAM_END) break;
    if (rc == LZMA_OK) continue;
    if (rc == LZMA_BUF_ERROR && g.s.avail_in != 0)
      throw CodecErr(env, std::string(name) + ": output larger than " + std::to_string(fixed ? fixedSize : gb->cap()) + " bytes");
    if (rc == LZMA_MEMLIMIT_ERROR)
      throw CodecErr(env, std::string(name) + ": stream needs " + std::to_string(lzma_memusage(&g.s)) +
                              " bytes of decoder memory, over the limit " + std::to_string(memlimit));
    throw CodecErr(env, std::string(name) + ": " + LzmaMsg(rc));
  }
  *produced = outLen;
  return in.size - g.s.avail_in;
}

// lzmaDecompressInto(input, out, format) -> [written, consumed]
Napi::Value DecompressInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  MutBytes out = OutBytes(info, 1);
  int format = (int)IntArg(info, 2, 0, 1);
  size_t produced = 0;
  size_t consumed = DecodeOne(env, in, format, UINT64_MAX, out.data, out.size, nullptr, &produced);
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(uint32_t(0), Napi::Number::New(env, (double)produced));
  a.Set(uint32_t(1), Napi::Number::New(env, (double)consumed));
  return a;
}

// lzmaDecodeStream(input, maxOutput, format, memlimit) -> [Buffer, consumed]
Napi::Value DecodeStream(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes in = InBytes(info, 0);
  size_t maxOut = (size_t)IntArg(info, 1, 0, (int64_t)1 << 46);
  int format = (int)IntArg(info, 2, 0, 1);
  uint64_t memlimit = (uint64_t)IntArg(info, 3, 1, (int64_t)1 << 46);
  if (format == 0) {
    static const uint8_t magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
    if (in.size < 6 || std::memcmp(in.data, magic, 6) != 0) throw CodecErr(env, "xz: not an xz stream (bad magic)");
  } else {
    if (in.size < 13 || in.data[0] > 224) throw CodecErr(env, "lzma: not an .lzma stream (bad header)");
  }
  size_t guess = in.size * 4;
  GrowBuf gb(guess < (1u << 20) ? guess : (1u << 20), maxOut);
  if (!gb.ok()) throw CodecErr(env, "out of memory");
  size_t produced = 0;
  size_t consumed = DecodeOne(env, in, format, memlimit, nullptr, 0, &gb, &produced);
  return DecodeResult(env, gb.release(env), consumed);
}

Napi::Value FilterSupported(const Napi::CallbackInfo& info) {
  int64_t id = IntArg(info, 0, 0, (int64_t)1 << 40);
  return Napi::Boolean::New(info.Env(), lzma_filter_encoder_is_supported((lzma_vli)id) &&
                                            lzma_filter_decoder_is_supported((lzma_vli)id));
}

// lzmaPresetOptions(preset, extreme) -> [dict, lc, lp, pb, mode, nice, mf, depth]
Napi::Value PresetOptions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t preset = (uint32_t)IntArg(info, 0, 0, 9);
  if (BoolArg(info, 1)) preset |= LZMA_PRESET_EXTREME;
  lzma_options_lzma o;
  if (lzma_lzma_preset(&o, preset)) throw CodecErr(env, "xz: unsupported preset");
  Napi::Array a = Napi::Array::New(env, 8);
  double v[8] = {(double)o.dict_size, (double)o.lc, (double)o.lp, (double)o.pb,
                 (double)o.mode, (double)o.nice_len, (double)o.mf, (double)o.depth};
  for (uint32_t i = 0; i < 8; i++) a.Set(i, Napi::Number::New(env, v[i]));
  return a;
}

}  // namespace

void InitLzma(Napi::Env env, Napi::Object exports) {
  exports.Set("lzmaCompress", Napi::Function::New(env, Compress));
  exports.Set("lzmaDecompressInto", Napi::Function::New(env, DecompressInto));
  exports.Set("lzmaDecodeStream", Napi::Function::New(env, DecodeStream));
  exports.Set("lzmaFilterSupported", Napi::Function::New(env, FilterSupported));
  exports.Set("lzmaPresetOptions", Napi::Function::New(env, PresetOptions));
  exports.Set("lzmaVersion", Napi::String::New(env, lzma_version_string()));
}

}  // namespace kz
