// The part of src/codecs/ the pool and the runner call, as a structural
// interface, loaded by module URL. The default URL is the real codecs;
// tests may point the pool at a stand-in module with the same exports to
// exercise scheduling, retries and aborts without the native addon.

/** What the runner reads from a codec setting (src/codecs CodecSetting fits). */
export interface SettingLike {
  algorithm: string;
  /** Canonical key: parseSetting(key) gives the same setting back. */
  key: string;
  params: Readonly<Record<string, unknown>>;
  backend: string;
}

import type * as RealCodecs from '../codecs/index.js';

// Method syntax on purpose: parameters are checked bivariantly, so the real
// module (typed with its richer CodecSetting) satisfies this interface.
export interface CodecApi {
  parseSetting(spec: string): SettingLike;
  compress(setting: SettingLike, input: Uint8Array): Uint8Array;
  /** Decode into `out` without allocating; returns the bytes written. */
  decompressInto(setting: SettingLike, compressed: Uint8Array, out: Uint8Array): number;
  backendVersions(): Record<string, string>;
}

// Compile-time check that the real module satisfies the interface.
export const codecsConform: typeof RealCodecs extends CodecApi ? true : never = true;

export const DEFAULT_CODEC_MODULE: string = new URL('../codecs/index.js', import.meta.url).href;

export async function loadCodecApi(moduleUrl: string = DEFAULT_CODEC_MODULE): Promise<CodecApi> {
  const m = (await import(moduleUrl)) as Partial<CodecApi>;
  for (const name of ['parseSetting', 'compress', 'decompressInto', 'backendVersions'] as const) {
    if (typeof m[name] !== 'function') {
      throw new Error(`codec module ${moduleUrl} does not export a function ${name}()`);
    }
  }
  return m as CodecApi;
}
