// kzbench's plain lists: "# key: value" provenance, then "[0xADDRESS] NAME
// [COUNT]" per entry (the format committed boot traces use), read and
// written.
import { excerpt } from '../../errors.js';
import type { Trace } from '../types.js';
import type { Kind, Reader, State } from './reader.js';
import { moduleOf, parseKernelSymbol } from './symbol.js';
import { isDigits, isHex, isModuleName, isSymbolName } from './text.js';
import { TraceError } from './trace-error.js';

export class ListReader implements Reader {
  readonly strict = true;
  reason = '';
  private leading = true;
  constructor(private readonly state: State) {}
  line(text: string): Kind {
    const t = text.trim();
    if (t === '') return 'structure';
    if (t.charCodeAt(0) === 35) {
      if (this.leading) {
        const m = /^#\s*([A-Za-z0-9_.-]+):\s?(.*)$/.exec(t);
        if (m && m[1] !== '__proto__') this.state.provenance[m[1]!] = m[2]!.trim();
      }
      return 'structure';
    }
    this.leading = false;
    const e = parseListLine(t);
    if (typeof e === 'string') {
      this.reason = e;
      return 'bad';
    }
    this.state.collector.add(e.name, e.hex, e.count);
    this.state.events++;
    return 'event';
  }
  finish(): void {}
}

/** An address token: 0x-prefixed hex, or exactly 8 or 16 bare hex digits. */
export function addressToken(tok: string): string | null {
  if (tok.length > 2 && tok.charCodeAt(0) === 48 && (tok.charCodeAt(1) === 120 || tok.charCodeAt(1) === 88))
    return isHex(tok, 2) && tok.length <= 18 ? tok.slice(2) : null;
  if ((tok.length === 8 || tok.length === 16) && isHex(tok)) return tok;
  return null;
}

/** One list entry line -> parts, or why it is not one. */
export function parseListLine(t: string): { name: string | null; hex: string | null; count: number } | string {
  const tok = t.split(/\s+/);
  let i = 0;
  const hex = addressToken(tok[0]!);
  let name: string | null = null;
  if (hex !== null) i++;
  if (hex !== null && i < tok.length && tok[i]!.charCodeAt(0) === 91 && tok[i]!.endsWith(']')) {
    // "0xADDRESS [module]": a module address without a symbol.
    const mod = tok[i]!.slice(1, -1);
    if (!isModuleName(mod)) return `${excerpt(tok[i]!)} is not a module name`;
    name = tok[i]!;
    i++;
  } else if (i < tok.length && !(hex !== null && isDigits(tok[i]!))) {
    const s = parseKernelSymbol(tok[i]!);
    if (!s || s.hex !== null || (s.name === null && hex === null)) return `${excerpt(tok[i]!)} is not a symbol name (expected "[ADDRESS] NAME [COUNT]")`;
    name = s.name;
    i++;
    // "name [module] count": the module annotation of a module function.
    if (i < tok.length && tok[i]!.startsWith('[') && tok[i]!.endsWith(']') && name !== null && moduleOf(name) === null) {
      const mod = tok[i]!.slice(1, -1);
      if (!isModuleName(mod)) return `${excerpt(tok[i]!)} is not a module name`;
      name = `${name} [${mod}]`;
      i++;
    }
  }
  let count = 1;
  if (i < tok.length) {
    if (!isDigits(tok[i]!) || Number(tok[i]) < 1 || !Number.isSafeInteger(Number(tok[i]))) return `the count ${excerpt(tok[i]!)} is not a positive integer`;
    count = Number(tok[i]);
    i++;
  }
  if (i < tok.length) return `unexpected ${excerpt(tok[i]!)} after the entry (expected "[ADDRESS] NAME [COUNT]")`;
  if (name === null && hex === null) return 'no address or name';
  return { name, hex, count };
}

/**
 * A trace as a list file (the format committed boot traces use): provenance
 * as "# key: value" lines, then "0xADDRESS NAME COUNT", "NAME COUNT" or
 * "0xADDRESS COUNT" per entry, in order. parseTrace reads it back to the same
 * entries and provenance.
 */
export function formatTraceList(trace: Pick<Trace, 'entries' | 'provenance'>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(trace.provenance)) {
    if (!/^[A-Za-z0-9_.-]+$/.test(k) || k === 'tracer' || /[\r\n]/.test(v))
      throw new TraceError(`provenance ${excerpt(k)}: cannot be written in a list`, 'list');
    out.push(`# ${k}: ${v}`);
  }
  for (const e of trace.entries) {
    if (e.name !== null) {
      const mod = moduleOf(e.name);
      const plain = mod === null ? e.name : e.name.slice(0, Math.max(0, e.name.lastIndexOf(' [')));
      const moduleOnly = plain === '' && mod !== null && isModuleName(mod) && e.address !== null;
      if (!moduleOnly && (!isSymbolName(plain) || (mod !== null && !isModuleName(mod)) || (e.address === null && addressToken(plain) !== null)))
        throw new TraceError(`entry ${excerpt(e.name)}: cannot be written in a list`, 'list');
    }
    if (!Number.isSafeInteger(e.count) || e.count < 1)
      throw new TraceError(`entry ${e.name !== null ? excerpt(e.name) : `0x${e.address?.toString(16)}`}: count ${e.count} cannot be written in a list`, 'list');
    const parts: string[] = [];
    if (e.address !== null) parts.push(`0x${e.address.toString(16)}`);
    if (e.name !== null) parts.push(e.name);
    parts.push(String(e.count));
    out.push(parts.join(' '));
  }
  return out.join('\n') + '\n';
}
