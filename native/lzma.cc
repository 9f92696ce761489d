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
//              mode, nice, mf, depth, bcjId, check)
// Fields given as -1 keep the preset's value.
struct Encoder {
  struct Options {
    int format;
    uint32_t preset;
    int64_t dict, lc, lp, pb, mode, nice, mf, depth, bcj, check;
  };
  static Options Read(const Napi::CallbackInfo& info, size_t i) {
    Options o;
    o.format = (int)IntArg(info, i, 0, 1);
    o.preset = (uint32_t)IntArg(info, i + 1, 0, 9);
    if (BoolArg(info, i + 2)) o.preset |= LZMA_PRESET_EXTREME;
    o.dict = IntArg(info, i + 3, -1, (int64_t)1 << 32);
    o.lc = IntArg(info, i + 4, -1, 4);
    o.lp = IntArg(info, i + 5, -1, 4);
    o.pb = IntArg(info, i + 6, -1, 4);
    o.mode = IntArg(info, i + 7, -1, 2);
    o.nice = IntArg(info, i + 8, -1, 273);
    o.mf = IntArg(info, i + 9, -1, 0x14);
    o.depth = IntArg(info, i + 10, -1, 1 << 30);
    o.bcj = IntArg(info, i + 11, 0, 0x7f);
    o.check = IntArg(info, i + 12, 0, 15);
    return o;
  }
  static void Encode(Napi::Env env, Bytes in, const Options& o, GrowBuf& out) {
    lzma_options_lzma opt;
    if (lzma_lzma_preset(&opt, o.preset)) throw CodecErr(env, "xz: unsupported preset");
    if (o.dict >= 0) opt.dict_size = (uint32_t)o.dict;
    if (o.lc >= 0) opt.lc = (uint32_t)o.lc;
    if (o.lp >= 0) opt.lp = (uint32_t)o.lp;
    if (o.pb >= 0) opt.pb = (uint32_t)o.pb;
    if (o.mode >= 0) opt.mode = (lzma_mode)o.mode;
    if (o.nice >= 0) opt.nice_len = (uint32_t)o.nice;
    if (o.mf >= 0) opt.mf = (lzma_match_finder)o.mf;
    if (o.depth >= 0) opt.depth = (uint32_t)o.depth;

    StreamGuard g;
    lzma_ret rc;
    if (o.format == 1) {
      if (o.bcj != 0) throw CodecErr(env, "lzma: the .lzma format cannot hold a BCJ filter");
      rc = lzma_alone_encoder(&g.s, &opt);
    } else {
      lzma_filter filters[3];
      int n = 0;
      if (o.bcj != 0) {
        if (!lzma_filter_encoder_is_supported((lzma_vli)o.bcj)) throw CodecErr(env, "xz: this liblzma has no such BCJ filter");
        filters[n].id = (lzma_vli)o.bcj;
        filters[n].options = nullptr;
        n++;
      }
      filters[n].id = LZMA_FILTER_LZMA2;
      filters[n].options = &opt;
      n++;
      filters[n].id = LZMA_VLI_UNKNOWN;
      filters[n].options = nullptr;
      if (!lzma_check_is_supported((lzma_check)o.check)) throw CodecErr(env, "xz: unsupported check");
      rc = lzma_stream_encoder(&g.s, filters, (lzma_check)o.check);
    }
    if (rc != LZMA_OK) throw CodecErr(env, std::string(o.format == 1 ? "lzma" : "xz") + " encoder: " + LzmaMsg(rc));

    size_t bound = lzma_stream_buffer_bound(in.size) + 4096;
    if (!out.reset(bound, bound * 2 + (1u << 20))) throw CodecErr(env, "out of memory");
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
  }
};

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

// lzmaDecompressInto(input, out, format), lzmaDecodeStream(input, maxOutput, format, memlimit)
struct Decoder {
  struct Options {
    int format;
    uint64_t memlimit;
  };
  static Options ReadInto(const Napi::CallbackInfo& info, size_t i) { return Options{(int)IntArg(info, i, 0, 1), UINT64_MAX}; }
  static Options ReadStream(const Napi::CallbackInfo& info, size_t i) {
    int format = (int)IntArg(info, i, 0, 1);
    return Options{format, (uint64_t)IntArg(info, i + 1, 1, (int64_t)1 << 46)};
  }
  static size_t StreamStart(Napi::Env env, Bytes in, const Options& o, size_t) {
    if (o.format == 0) {
      static const uint8_t magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
      if (in.size < 6 || std::memcmp(in.data, magic, 6) != 0) throw CodecErr(env, "xz: not an xz stream (bad magic)");
    } else {
      if (in.size < 13 || in.data[0] > 224) throw CodecErr(env, "lzma: not an .lzma stream (bad header)");
    }
    return FirstGuess(in, 4);
  }
  static size_t Decode(Napi::Env env, Bytes in, const Options& o, uint8_t* fixed, size_t fixedSize, GrowBuf* gb,
                       size_t* produced) {
    return DecodeOne(env, in, o.format, o.memlimit, fixed, fixedSize, gb, produced);
  }
};

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
  ExportEncoder<Encoder>(env, exports, "lzmaCompress");
  ExportDecoder<Decoder>(env, exports, "lzma");
  exports.Set("lzmaFilterSupported", Napi::Function::New(env, FilterSupported));
  exports.Set("lzmaPresetOptions", Napi::Function::New(env, PresetOptions));
  exports.Set("lzmaVersion", Napi::String::New(env, lzma_version_string()));
}

}  // namespace kz
