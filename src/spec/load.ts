/**
 * Reading a YAML file (a module spec or a job file) with positions, so that every later problem
 * can be reported at its `file:line:col`. Anything that stops the file from being read as one YAML
 * mapping's worth of data is a `SpecError('SPEC_UNREADABLE')` with a message a user can act on,
 * never a stack trace: a missing file, a directory, a binary file, an empty file, malformed YAML,
 * duplicate keys, and aliases that expand exponentially (a "billion laughs" bomb).
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { isAlias, isCollection, isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node } from 'yaml';
import { SpecError } from '../core/errors.js';
import type { Diagnostic } from '../core/errors.js';

/** What the file is, for messages. */
export type YamlKind = 'module spec' | 'job file' | 'module spec or job file';

export interface YamlFile {
  readonly kind: YamlKind;
  /** Absolute path. */
  readonly path: string;
  /** The path as the user gave it: what diagnostics print. */
  readonly display: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  /** The document as plain data (aliases expanded). */
  readonly value: unknown;
  /** What the YAML parser tolerated but flags (an unknown tag, …). */
  readonly warnings: readonly Diagnostic[];
}

/**
 * Aliases a document may expand before it counts as a bomb. A hand-written spec reuses an anchor
 * a few times; the bombs this stops expand billions. (The `yaml` package's `maxAliasCount`.)
 */
export const MAX_ALIAS_COUNT = 100;

const EMPTY_HINT: Record<YamlKind, string> = {
  'module spec': 'a module spec is a YAML mapping (amlModuleIdentifier:, inputs:, implementation:, …)',
  'job file': 'a job file is a YAML mapping with `module: ./module.yaml`',
  'module spec or job file':
    'give a module spec (amlModuleIdentifier:, inputs:, implementation:, …) or a job file (module: ./module.yaml)',
};

/** Reads and parses `given` (relative to `cwd`). Throws `SpecError('SPEC_UNREADABLE')`. */
export async function readYamlFile(given: string, kind: YamlKind, cwd: string = process.cwd()): Promise<YamlFile> {
  const path = resolve(cwd, given);
  const fail = (message: string, line = 1, col = 1, cause?: unknown): SpecError =>
    new SpecError('SPEC_UNREADABLE', [{ severity: 'error', file: given, line, col, message }], { cause });

  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw fail(await describeReadError(error, given, path, kind), 1, 1, error);
  }
  const text = decodeText(bytes);
  if (typeof text !== 'string') {
    throw fail(`cannot read the ${kind}: it is not a text file (${text.why}), and a ${kind} is YAML text`, text.line, text.col);
  }

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number): { line: number; col: number } => lines.linePos(offset);

  // One syntax error is enough: the parser's later errors are mostly echoes of the first.
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const { line, col } = at(syntax.pos[0]);
    throw fail(`malformed YAML: ${describeSyntaxError(syntax.code, syntax.message, kind)}`, line, col, syntax);
  }
  const problems = structuralProblems(doc, lines)
    .sort((a, b) => a.offset - b.offset)
    .map((p): Diagnostic => ({ severity: 'error', file: given, ...at(p.offset), message: p.message }));
  if (problems.length > 0) throw new SpecError('SPEC_UNREADABLE', problems);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw fail(`the ${kind} is empty: ${EMPTY_HINT[kind]}`);
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const alias = firstAlias(doc);
    const { line, col } = alias === null ? { line: 1, col: 1 } : at(alias);
    const why = error instanceof Error ? error.message : String(error);
    const message = why.startsWith('Excessive alias count')
      ? `the YAML aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies, as a "billion laughs" bomb does: write the values out instead of aliasing aliases`
      : `malformed YAML: ${lowerFirst(why)}`;
    throw fail(message, line, col, error);
  }

  const warnings = doc.warnings.map(
    (w): Diagnostic => ({ severity: 'warning', file: given, ...at(w.pos[0]), message: lowerFirst(w.message) }),
  );
  return { kind, path, display: given, doc, lines, value, warnings };
}

async function describeReadError(error: unknown, given: string, path: string, kind: YamlKind): Promise<string> {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return `cannot read the ${kind}: no such file (${path})`;
    case 'EISDIR': {
      const yamls = await yamlFilesIn(path);
      const hint = yamls.length > 0 ? `: name a file in it, e.g. ${yamls.map((f) => join(given, f)).join(' or ')}` : '';
      return `cannot read the ${kind}: it is a directory${hint}`;
    }
    case 'EACCES':
    case 'EPERM':
      return `cannot read the ${kind}: permission denied (${path})`;
    default:
      return `cannot read the ${kind}: ${(error as Error).message}`;
  }
}

async function yamlFilesIn(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((n) => ['.yaml', '.yml'].includes(extname(n))).sort().slice(0, 3);
  } catch {
    return [];
  }
}

/** The text, or why the bytes are not text: a NUL byte or invalid UTF-8 means a binary file. */
function decodeText(bytes: Buffer): string | { why: string; line: number; col: number } {
  const nul = bytes.indexOf(0);
  if (nul !== -1) return { why: 'it holds a NUL byte', ...bytePosition(bytes, nul) };
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { why: 'it is not valid UTF-8', line: 1, col: 1 };
  }
}

/** Line and column (counting bytes) of `offset`. */
function bytePosition(bytes: Buffer, offset: number): { line: number; col: number } {
  const before = bytes.subarray(0, offset);
  let line = 1;
  for (const byte of before) if (byte === 0x0a) line++;
  return { line, col: offset - before.lastIndexOf(0x0a) };
}

function describeSyntaxError(code: string, message: string, kind: YamlKind): string {
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'a tab indents this line; YAML indents with spaces only';
    case 'MULTIPLE_DOCS':
      return `the file holds more than one YAML document (a \`---\` line), and a ${kind} is one document`;
    default:
      return lowerFirst(message);
  }
}

/**
 * Duplicate keys (which the parser would let the last one win silently) and keys that are lists
 * or mappings (which cannot name anything). Checked on the document tree, so positions are exact.
 */
function structuralProblems(doc: Document.Parsed, lines: LineCounter): { offset: number; message: string }[] {
  const problems: { offset: number; message: string }[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        const key = pair.key as Node | null;
        const offset = key?.range?.[0] ?? 0;
        if (isCollection(key)) {
          problems.push({ offset, message: 'a key must be a plain value, not a list or a mapping' });
          continue;
        }
        if (!isScalar(key)) continue;
        const name = String(key.value);
        const first = seen.get(name);
        if (first === undefined) {
          seen.set(name, offset);
          continue;
        }
        problems.push({
          offset,
          message: `duplicate key \`${name}\`: it is already set at line ${lines.linePos(first).line}, and a key may appear once in a mapping; keep one`,
        });
      }
    },
  });
  return problems;
}

function firstAlias(doc: Document.Parsed): number | null {
  let offset: number | null = null;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.range) offset = node.range[0];
      return visit.BREAK;
    },
  });
  return offset;
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}

/** True when the document is a mapping (the only shape a spec or a job file can have). */
export function isMapping(file: YamlFile): boolean {
  return isMap(file.doc.contents);
}
