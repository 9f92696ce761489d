// YAML files checked by a zod schema, every mistake reported with its path in
// the file and its line:column (from the yaml package's node ranges). Used by
// suites and by the corpus manifest.
import { excerpt, KzError } from './errors.js';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { z } from 'zod';

export interface Problem {
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  col: number;
  /** Dotted path in the document ("settings[2].levels"); '' for the whole file. */
  path: string;
  message: string;
}

/** Longest problem message printed: a message is a sentence, not a quotation of the file. */
const MAX_MESSAGE = 300;

/**
 * A message as one bounded line: control characters escaped (a newline from
 * the file cannot start a second line), cut at MAX_MESSAGE characters. The
 * messages quote values through `excerpt`; this is the net under that.
 */
export function oneLine(message: string): string {
  const escaped = message.replace(/[\x00-\x1f\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > MAX_MESSAGE ? `${escaped.slice(0, MAX_MESSAGE)}...` : escaped;
}

/**
 * Another module's error message about a value from the file (a setting spec,
 * say) as a problem message: the value itself as an excerpt, and the whole
 * cut to 80 characters when it is longer than 100 (it may quote parts of the value).
 */
export function messageAbout(err: unknown, value: string): string {
  let m = err instanceof Error ? err.message : String(err);
  if (value.length > 40) m = m.split(value).join(excerpt(value, 40));
  return m.length > 100 ? `${m.slice(0, 80)}...` : m;
}

export function formatProblem(p: Problem): string {
  const at = p.line ? `${p.file}:${p.line}:${p.col}` : p.file;
  return `${at}: ${p.path ? `${p.path}: ` : ''}${oneLine(p.message)}`;
}

/** Problems printed per file; the rest are counted. A file with more is rarely the file that was meant. */
export const MAX_PROBLEM_LINES = 20;

/** Problems collected per file: enough to print, bounded so a huge wrong file costs no more than a small one. */
const MAX_PROBLEMS = 100;

/** Aliases a document may expand (the yaml package's guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;

/** Every mistake in a YAML file, each with its location. */
export class YamlFileError extends KzError {
  override name = 'YamlFileError';
  constructor(
    override readonly file: string,
    readonly problems: Problem[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        shown(problems)
          .map((l) => '  ' + l)
          .join('\n'),
      file,
    );
  }

  /** Every mistake on its own line, with file:line:col (at most MAX_PROBLEM_LINES, then a count of the rest). */
  override lines(): string[] {
    return shown(this.problems);
  }
}

function shown(problems: readonly Problem[]): string[] {
  const lines = problems.slice(0, MAX_PROBLEM_LINES).map(formatProblem);
  const more = problems.length - lines.length;
  if (more > 0) lines.push(`${problems[0]!.file}: ${more} more problem${more === 1 ? '' : 's'} not shown`);
  return lines;
}

export type PathSegment = string | number;

/** A key as a path segment: plain names as they are, anything else (a key from a wrong file) as a short excerpt. */
function segmentText(s: PropertyKey): string {
  const t = String(s);
  return /^[\x20-\x7e]{1,40}$/.test(t) ? t : excerpt(t, 20);
}

export function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += (out ? '.' : '') + segmentText(s);
  }
  return out;
}

/**
 * The yaml package's message as one line: without its position (the problem
 * has it) and with the source it quotes ('Unexpected scalar ...: "TEXT"',
 * 'Unresolved tag: !TEXT') cut to an excerpt.
 */
function parserMessage(message: string): string {
  const line = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  // the parser's own words end at the first ": "; a quote further on is the source's
  const quoted = /^([^:"]*: )(".*)$/.exec(line);
  // other messages name a tag, a directive or a token from the source: at most an excerpt's length of it
  if (!quoted) return line.length > 100 ? `${line.slice(0, 80)}...` : line;
  let source = quoted[2]!;
  try {
    source = JSON.parse(source) as string;
  } catch {
    // cut or not JSON: the raw text, still only as an excerpt
  }
  return quoted[1]! + excerpt(String(source), 30);
}

/** Nesting the parser is given: far beyond any hand-written file, far below what exhausts its stack or memory. */
const MAX_DEPTH = 64;

/** Columns of indentation and block indicators ("- - - x") a line may start with; each is a level of nesting. */
const MAX_INDENT = 256;

/**
 * Where TEXT nests deeper than the YAML parser should be asked to go, found
 * by a linear scan before parsing: flow collections (`[[[[...`, counted
 * outside quotes and comments) beyond MAX_DEPTH, or a line whose indentation
 * and block indicators pass MAX_INDENT columns. The yaml package takes
 * seconds and gigabytes on 100 KiB of either, and may exhaust the stack.
 */
function tooDeep(text: string): { index: number; message: string } | undefined {
  const indent = /^[ \t]*(?:[-?:][ \t]+)*/gm;
  for (let m = indent.exec(text); m; m = indent.exec(text)) {
    if (m[0].length > MAX_INDENT) return { index: m.index, message: `a line indented or nested more than ${MAX_INDENT} columns deep` };
    if (m[0].length === 0) indent.lastIndex++;
    else indent.lastIndex = m.index + m[0].length;
  }
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    const prev = i === 0 ? '\n' : text[i - 1]!;
    const starts = /[\s[{,:]/.test(prev);
    if (c === '#' && /\s/.test(prev)) {
      const end = text.indexOf('\n', i);
      if (end === -1) break;
      i = end;
    } else if ((c === '"' || c === "'") && starts) quote = c;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_DEPTH) return { index: i, message: `collections nested more than ${MAX_DEPTH} deep` };
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}

/** Text that is not YAML at all: a NUL or another control character YAML forbids (a binary file). */
function binaryAt(text: string): number {
  const m = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.exec(text);
  return m ? m.index : -1;
}

/** A parsed YAML document that can say where any path is. */
export class LocatedDocument {
  readonly lines = new LineCounter();
  readonly doc: Document.Parsed;
  readonly syntaxProblems: Problem[] = [];

  /**
   * Parse TEXT. Nothing in it can throw or hang here: binary text, parser
   * failures (nesting deep enough to exhaust the stack) and duplicate keys
   * all end up in syntaxProblems.
   */
  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    // refused before parsing, with the position of the first offence
    const bad = binaryAt(text);
    const deep = bad === -1 ? tooDeep(text) : undefined;
    if (bad !== -1 || deep) {
      this.doc = parseDocument('', { lineCounter: new LineCounter() });
      const at = deep ? deep.index : bad;
      const line = text.slice(0, at).split('\n').length;
      const col = at - text.lastIndexOf('\n', at - 1);
      const message = deep
        ? `cannot parse the YAML: ${deep.message}`
        : `not a YAML text file: a control character (${excerpt(text[bad]!)}) YAML does not allow; a binary file?`;
      this.syntaxProblems.push({ file, line, col, path: '', message });
      return;
    }
    try {
      // uniqueKeys: false: the yaml package compares each key with every
      // other (quadratic in a map's size); duplicateKeys() does it with a Set.
      // logLevel error: the yaml package warns (on stderr, quoting the key) about
      // collection keys; they become an unknown key problem here instead
      this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: false, prettyErrors: false, logLevel: 'error' });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      this.doc = parseDocument('', { lineCounter: new LineCounter() });
      this.syntaxProblems.push({ file, line: 0, col: 0, path: '', message: 'cannot parse the YAML: nested too deeply' });
      return;
    }
    for (const e of this.doc.errors.slice(0, MAX_PROBLEMS)) {
      const pos = e.linePos?.[0] ?? this.lines.linePos(e.pos[0]);
      this.syntaxProblems.push({ file, line: pos.line, col: pos.col, path: '', message: parserMessage(e.message) });
    }
    if (this.syntaxProblems.length === 0) this.duplicateKeys();
  }

  /** Keys given twice in one mapping, each reported where it is repeated. */
  private duplicateKeys(): void {
    try {
      visit(this.doc, {
        Map: (_, map) => {
          const seen = new Set<string>();
          for (const pair of map.items) {
            if (!isScalar(pair.key)) continue;
            const k = String(pair.key.value);
            if (seen.has(k)) {
              const pos = this.lines.linePos(pair.key.range?.[0] ?? 0);
              this.syntaxProblems.push({
                file: this.file,
                line: pos.line,
                col: pos.col,
                path: '',
                message: `Map keys must be unique: ${excerpt(k, 40)} is given twice`,
              });
              if (this.syntaxProblems.length >= MAX_PROBLEMS) return visit.BREAK;
            }
            seen.add(k);
          }
          return undefined;
        },
      });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      this.syntaxProblems.push({ file: this.file, line: 0, col: 0, path: '', message: 'cannot parse the YAML: nested too deeply' });
    }
  }

  /**
   * The document as plain data (undefined for an empty file). An alias bomb
   * (aliases expanding past MAX_ALIAS_COUNT) or nesting too deep to convert
   * is a YamlFileError, one line.
   */
  value(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      if (e instanceof ReferenceError && /alias/i.test(e.message)) {
        throw new YamlFileError(this.file, [
          {
            file: this.file,
            line: 0,
            col: 0,
            path: '',
            message: `too many aliases: the document expands aliases more than ${MAX_ALIAS_COUNT} times (an alias bomb?)`,
          },
        ]);
      }
      if (e instanceof RangeError)
        throw new YamlFileError(this.file, [{ file: this.file, line: 0, col: 0, path: '', message: 'cannot read the YAML: nested too deeply' }]);
      throw e;
    }
  }

  /**
   * A one-line refusal for a document that is not a mapping of WHAT at all: not
   * a mapping, or a mapping of three or more keys none of which WHAT has (another
   * kind of file, /etc/shadow; fewer may be typos, reported one by one). Undefined when it may be a WHAT with mistakes.
   */
  notA(value: unknown, what: string, keys: readonly string[]): Problem | undefined {
    const expected = `a ${what} is a mapping with ${keys
      .slice(0, 4)
      .map((k) => `${k}:`)
      .join(', ')}${keys.length > 4 ? ' ...' : ''}`;
    if (value === null || value === undefined) return { file: this.file, line: 0, col: 0, path: '', message: `empty ${what}: ${expected}` };
    if (typeof value !== 'object' || Array.isArray(value)) return { file: this.file, line: 1, col: 1, path: '', message: `not a ${what}: ${expected}` };
    const own = Object.keys(value);
    if (own.length >= 3 && !own.some((k) => keys.includes(k))) {
      // the keys are not quoted: a wrong file's keys are its contents (a password file's lines)
      return { file: this.file, line: 1, col: 1, path: '', message: `not a ${what}: none of its ${own.length} top-level keys is one it has; ${expected}` };
    }
    return undefined;
  }

  /**
   * Line and column of a path: the value's node, else (the path names a
   * missing key) the nearest enclosing node. `key: true` points at a map
   * key rather than its value (for unknown keys).
   */
  where(path: readonly PropertyKey[], key = false): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let best: { range?: [number, number, number] | null } | undefined = node as Node | undefined;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        const k = pair.key as Node;
        if ((last && key) || pair.value == null) {
          best = k;
          node = undefined;
          if (pair.value == null) break;
          continue;
        }
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        node = node.items[seg];
      } else break;
      if (node && (node as Node).range) best = node as Node;
    }
    const start = best?.range?.[0];
    if (start === undefined) return { line: 0, col: 0 };
    return this.lines.linePos(start);
  }

  problem(path: readonly PropertyKey[], message: string, key = false): Problem {
    const { line, col } = this.where(path, key);
    return { file: this.file, line, col, path: pathText(path), message };
  }

  /** zod issues as problems: one per unknown key, located on the key itself. */
  zodProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
    const out: Problem[] = [];
    for (const issue of issues) {
      // locating a problem walks the document: a bounded number keeps a huge wrong file linear
      if (out.length >= MAX_PROBLEMS) break;
      if (issue.code === 'unrecognized_keys') {
        const allowed = issue.message.startsWith('allowed:') ? `; ${issue.message}` : '';
        for (const k of issue.keys.slice(0, MAX_PROBLEMS)) out.push(this.problem([...issue.path, k], `unknown key ${excerpt(k, 40)}${allowed}`, true));
      } else if (issue.code === 'invalid_key') {
        const inner = issue.issues.map((i) => i.message).join('; ');
        out.push(this.problem(issue.path, `invalid key: ${inner || issue.message}`, true));
      } else if (issue.code === 'invalid_union' && issue.message === 'Invalid input' && issue.errors.length) {
        // one-or-many and similar: report the branch that got past the type check
        const depth = (b: readonly z.core.$ZodIssue[]) => Math.max(...b.map((i) => i.path.length + (i.code === 'invalid_type' ? 0 : 0.5)));
        const branch = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!;
        out.push(...this.zodProblems(branch.map((i) => ({ ...i, path: [...issue.path, ...i.path] }))));
      } else out.push(this.problem(issue.path, issue.message));
    }
    return out;
  }
}

/** z.strictObject whose unknown-key issues list the keys allowed. */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? `allowed: ${allowed}` : undefined) });
}

/** Sort problems by position in the file, then path. */
export function byPosition(a: Problem, b: Problem): number {
  return a.line - b.line || a.col - b.col || a.path.localeCompare(b.path);
}
