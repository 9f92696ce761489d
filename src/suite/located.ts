// YAML files checked by a zod schema, every mistake reported with its path in
// the file and its line:column (from the yaml package's node ranges). Used by
// suites and by the corpus manifest.
import { KzError } from '../errors.js';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
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

export function formatProblem(p: Problem): string {
  const at = p.line ? `${p.file}:${p.line}:${p.col}` : p.file;
  return `${at}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** Every mistake in a YAML file, each with its location. */
export class YamlFileError extends KzError {
  override name = 'YamlFileError';
  constructor(
    override readonly file: string,
    readonly problems: Problem[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'), file);
  }

  /** Every mistake on its own line, with file:line:col. */
  override lines(): string[] {
    return this.problems.map(formatProblem);
  }
}

export type PathSegment = string | number;

export function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += (out ? '.' : '') + String(s);
  }
  return out;
}

/** A parsed YAML document that can say where any path is. */
export class LocatedDocument {
  readonly lines = new LineCounter();
  readonly doc: Document.Parsed;
  readonly syntaxProblems: Problem[] = [];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    for (const e of [...this.doc.errors]) {
      const pos = e.linePos?.[0] ?? this.lines.linePos(e.pos[0]);
      this.syntaxProblems.push({ file, line: pos.line, col: pos.col, path: '', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') });
    }
  }

  /** The document as plain data (undefined for an empty file). */
  value(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
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
      if (issue.code === 'unrecognized_keys') {
        const allowed = issue.message.startsWith('allowed:') ? `; ${issue.message}` : '';
        for (const k of issue.keys) out.push(this.problem([...issue.path, k], `unknown key "${k}"${allowed}`, true));
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
