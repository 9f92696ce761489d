// System.map: "ADDRESS TYPE NAME" per line, as nm prints it. Distributions
// often ship a stub (Debian's says the real one is in the -dbg package): a
// map with no usable symbols is reported as a stub, not trusted.
import { fail } from './errors.js';

export interface MapSymbol {
  name: string;
  type: string;
  address: bigint;
}

export interface SystemMap {
  symbols: MapSymbol[];
  /** The stub's own words when the map is a placeholder, else null. */
  stub: string | null;
}

export function parseSystemMap(text: string): SystemMap {
  const symbols: MapSymbol[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (!line.trim()) continue;
    const m = /^([0-9a-fA-F]+) (\S) (.+)$/.exec(line.trimEnd());
    if (!m) fail(`not a System.map: line ${lineNo} is not "ADDRESS TYPE NAME"`);
    symbols.push({ address: BigInt('0x' + m[1]!), type: m[2]!, name: m[3]! });
  }
  if (symbols.length === 0) fail('not a System.map: it is empty');
  // A stub has one or two entries that are not kernel symbols (Debian: "ffffffffffffffff B The real System.map is in ...").
  if (symbols.length < 16 && symbols.some((s) => s.name.includes(' '))) {
    return { symbols: [], stub: symbols.map((s) => s.name).join('; ') };
  }
  return { symbols, stub: null };
}
