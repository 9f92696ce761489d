// Small, fast character tests the trace readers share (indexOf and char
// codes, no backtracking regular expressions on the hot path).

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

export function isHex(s: string, from = 0, to = s.length): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) if (!isHexCode(s.charCodeAt(i))) return false;
  return true;
}

export function isDigits(s: string, from = 0, to = s.length): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Characters of a kernel symbol name as kallsyms spells it: [A-Za-z0-9_.$], not starting with a digit. */
export function isSymbolName(s: string): boolean {
  if (s.length === 0) return false;
  const c0 = s.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 36)) return false;
  }
  return true;
}

/** "0x12", "12" (hex digits, optional 0x). */
export function isHexNumber(s: string, from: number, to: number): boolean {
  if (to - from > 2 && s.charCodeAt(from) === 48 && (s.charCodeAt(from + 1) === 120 || s.charCodeAt(from + 1) === 88)) from += 2;
  return isHex(s, from, to);
}

/** The ftrace/perf offset suffix after '+': "0x12/0x40" (sym-offset) or "0x12" (perf symoff). */
export function isOffsetSuffix(s: string, from: number): boolean {
  const slash = s.indexOf('/', from);
  if (slash < 0) return isHexNumber(s, from, s.length);
  return isHexNumber(s, from, slash) && isHexNumber(s, slash + 1, s.length);
}

/** Address text normalised for use as a key: lower case, no 0x, no leading zeros. */
export function hexKey(hex: string): string {
  let i = 0;
  while (i < hex.length - 1 && hex.charCodeAt(i) === 48) i++;
  const s = i === 0 ? hex : hex.slice(i);
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c >= 65 && c <= 70) return s.toLowerCase();
  }
  return s;
}

/** Characters of a module name: [A-Za-z0-9_.-]. */
export function isModuleName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46)) return false;
  }
  return true;
}
