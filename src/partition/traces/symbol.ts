// One kernel symbol as ftrace, perf and the lists print it.
import { isHex, isModuleName, isOffsetSuffix, isSymbolName } from './text.js';

export interface Sym {
  /** Name without offset suffix; a module function keeps its annotation: "name [module]". */
  name: string | null;
  /** Hex digits of the address (no 0x), when the text gives one. */
  hex: string | null;
}

/**
 * One symbol as the kernel prints it (%ps, %pS, sym-offset, sym-addr):
 * NAME[+OFF[/LEN]][ [MODULE[ BUILDID]]][ <ADDR>], or 0xADDR when kallsyms
 * had no name. Null when it is none of these.
 */
export function parseKernelSymbol(text: string): Sym | null {
  let s = text.length > 0 && text.charCodeAt(0) > 32 && text.charCodeAt(text.length - 1) > 32 ? text : text.trim();
  let hex: string | null = null;
  if (s.endsWith('>')) {
    const lt = s.lastIndexOf(' <');
    if (lt < 0 || !isHex(s, lt + 2, s.length - 1)) return null;
    hex = s.slice(lt + 2, s.length - 1);
    s = s.slice(0, lt).trimEnd();
  }
  let mod: string | null = null;
  if (s.endsWith(']')) {
    const lb = s.lastIndexOf(' [');
    if (lb <= 0) return null;
    const inner = s.slice(lb + 2, s.length - 1);
    const sp = inner.indexOf(' ');
    mod = sp < 0 ? inner : inner.slice(0, sp);
    if (!isModuleName(mod)) return null;
    s = s.slice(0, lb);
  }
  if (s.length > 2 && s.charCodeAt(0) === 48 && s.charCodeAt(1) === 120 && isHex(s, 2)) {
    return { name: null, hex: hex ?? s.slice(2) };
  }
  const plus = s.indexOf('+');
  if (plus > 0) {
    if (!isOffsetSuffix(s, plus + 1)) return null;
    s = s.slice(0, plus);
  }
  if (!isSymbolName(s)) return null;
  return { name: mod === null ? s : `${s} [${mod}]`, hex };
}

/** "name [module]" (or "[module]" for a module address without a symbol) -> "module", else null. */
export function moduleOf(name: string): string | null {
  if (!name.endsWith(']')) return null;
  if (name.charCodeAt(0) === 91 && !name.includes(' ')) return name.slice(1, name.length - 1);
  const lb = name.lastIndexOf(' [');
  return lb > 0 ? name.slice(lb + 2, name.length - 1) : null;
}
