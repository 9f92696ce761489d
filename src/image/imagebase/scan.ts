// The shared scanning helpers: the probe-and-flood walk over the Image's
// words, and reading a symbol name out of __ksymtab_strings.

/** Block size of the probe-and-flood scan. */
const BLOCK = 1024;
/** Bytes probed at the start of each block: two entries of up to 12 bytes, one of 24. */
const PROBE = 24;
/** KSYM_NAME_LEN */
const MAX_NAME = 512;

/** The printable NUL-terminated string at o, or undefined. */
export function nameAt(b: Uint8Array, o: number): string | undefined {
  let s = '';
  for (let q = o; q < b.length && q - o <= MAX_NAME; q++) {
    const c = b[q];
    if (c === 0) return s.length ? s : undefined;
    if (c < 0x21 || c > 0x7e) return undefined;
    s += String.fromCharCode(c);
  }
  return undefined;
}

/**
 * Probe the first PROBE bytes of every block with `test` (word index ->
 * entry found there); scan the rest of the blocks where it hit, and of
 * their neighbours while these hold entries too. `test` sees every word
 * index at most once, in no particular order.
 */
export function flood(words: number, test: (i: number) => boolean): void {
  const per = BLOCK / 4;
  const head = PROBE / 4;
  const nb = Math.ceil(words / per);
  const queued = new Uint8Array(nb);
  const queue: number[] = [];
  const push = (k: number): void => {
    if (k >= 0 && k < nb && !queued[k]) {
      queued[k] = 1;
      queue.push(k);
    }
  };
  const hits = new Uint8Array(nb);
  for (let k = 0; k < nb; k++) {
    const from = k * per;
    const to = Math.min(words, from + head);
    for (let i = from; i < to; i++) if (test(i)) hits[k] = 1;
    if (hits[k]) push(k);
  }
  while (queue.length) {
    const k = queue.pop()!;
    const to = Math.min(words, (k + 1) * per);
    for (let i = k * per + head; i < to; i++) if (test(i)) hits[k] = 1;
    if (hits[k]) {
      push(k - 1);
      push(k + 1);
    }
  }
}
