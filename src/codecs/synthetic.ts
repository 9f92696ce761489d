// Deterministic input that compresses roughly like kernel code: short
// instruction-like records with random immediates, repeated fragments at
// near and far distances, incompressible stretches, and long zero runs
// (alignment padding). For tests and quick benches; not a corpus.

/** xorshift32, seeded. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function codeLike(bytes: number, seed = 1): Uint8Array {
  const out = new Uint8Array(bytes);
  const r = rng(seed);
  const opcodes = Array.from({ length: 400 }, () => {
    const len = 1 + (r() % 4);
    return Uint8Array.from({ length: len }, () => r() & 0xff);
  });
  let pos = 0;
  while (pos < bytes) {
    const pick = r() % 100;
    let n: number;
    if (pick < 60) {
      // a run of "instructions": opcode + 0..4 immediate bytes (often small)
      const count = 8 + (r() % 120);
      const start = pos;
      for (let i = 0; i < count && pos < bytes; i++) {
        const op = opcodes[r() % opcodes.length];
        for (let k = 0; k < op.length && pos < bytes; k++) out[pos++] = op[k];
        const imm = r() % 5;
        for (let k = 0; k < imm && pos < bytes; k++) out[pos++] = k < 2 ? r() & 0xff : (r() & 3) === 0 ? 0xff : 0;
      }
      n = pos - start;
      continue;
    } else if (pick < 80 && pos > 4096) {
      // repeat an earlier fragment (near or far)
      const len = 16 + (r() % 2048);
      const dist = r() & 1 ? 1 + (r() % 4096) : 1 + (r() % pos);
      const from = pos - Math.min(dist, pos);
      n = Math.min(len, bytes - pos);
      for (let i = 0; i < n; i++) out[pos + i] = out[from + i];
    } else if (pick < 88) {
      // incompressible stretch
      n = Math.min(64 + (r() % 4096), bytes - pos);
      for (let i = 0; i < n; i++) out[pos + i] = r() & 0xff;
    } else if (pick < 90) {
      // long zero run (alignment padding); already zero
      n = Math.min(512 + (r() % (24 * 1024)), bytes - pos);
    } else {
      // text-ish (strings table)
      n = Math.min(32 + (r() % 512), bytes - pos);
      for (let i = 0; i < n; i++) out[pos + i] = r() % 8 === 0 ? 0 : 0x61 + (r() % 26);
    }
    pos += n;
  }
  return out;
}
