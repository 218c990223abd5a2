/**
 * Positions of values in a parsed YAML file, and the collector of diagnostics that validation
 * fills: every problem is gathered (none stops the others), then reported sorted by position.
 */
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Node, Pair } from 'yaml';
import type { Diagnostic } from '../core/errors.js';
import type { YamlFile } from './load.js';

/** Keys and list indexes from the document's root to a value. */
export type YamlPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly col: number;
}

/**
 * Where the value at `path` starts (or its key, with `part: 'key'`). A path that does not exist
 * (a missing key) points at the nearest thing that does: the key of the mapping that lacks it.
 * An empty value (`key:` and nothing) points at its key, since it has no text of its own.
 */
export function positionAt(file: YamlFile, path: YamlPath, part: 'value' | 'key' = 'value'): Position {
  let node: unknown = file.doc.contents;
  let pair: Pair | null = null;
  for (const step of path) {
    if (isAlias(node)) node = node.resolve(file.doc);
    let next: unknown;
    if (isMap(node) && typeof step === 'string') {
      const found = node.items.find((p) => isScalar(p.key) && String(p.key.value) === step);
      if (found !== undefined) {
        pair = found;
        next = found.value;
      }
    } else if (isSeq(node) && typeof step === 'number') {
      next = node.items[step];
      pair = null;
    }
    if (next === undefined) return startOf(file, pair?.key ?? node);
    node = next;
  }
  if (part === 'key' && pair !== null && path.length > 0) return startOf(file, pair.key);
  const empty = node === null || (isScalar(node) && node.value === null && !node.source);
  if (empty && pair !== null) return startOf(file, pair.key);
  return startOf(file, node);
}

function startOf(file: YamlFile, node: unknown): Position {
  const range = (node as Node | null)?.range;
  if (range === undefined || range === null || isPair(node)) return { line: 1, col: 1 };
  return file.lines.linePos(range[0]);
}

/** The raw text of a scalar (`1.10` stays `1.10`, where the parsed number would print `1.1`). */
export function sourceText(file: YamlFile, path: YamlPath): string | null {
  const node = file.doc.getIn(path, true);
  if (isScalar(node)) return node.source ?? (node.value === null ? null : scalarString(node.value));
  return null;
}

/** A YAML scalar's value as text (a collection, which is no scalar, as JSON). */
export function scalarString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/** The plain value at `path`, or undefined. */
export function valueAt(root: unknown, path: YamlPath): unknown {
  let value = root;
  for (const step of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

/** `implementation.parallel.args[2]`, for messages. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const step of path) out += typeof step === 'number' ? `[${step}]` : out === '' ? step : `.${step}`;
  return out;
}

export class Diagnostics {
  readonly #list: Diagnostic[] = [];
  constructor(readonly file: YamlFile) {}

  error(path: YamlPath, message: string, part: 'value' | 'key' = 'value'): void {
    this.add('error', path, message, part);
  }
  warning(path: YamlPath, message: string, part: 'value' | 'key' = 'value'): void {
    this.add('warning', path, message, part);
  }
  note(path: YamlPath, message: string, part: 'value' | 'key' = 'value'): void {
    this.add('note', path, message, part);
  }
  push(diagnostic: Diagnostic): void {
    this.#list.push(diagnostic);
  }

  get errorCount(): number {
    return this.#list.filter((d) => d.severity === 'error').length;
  }

  /** Every diagnostic, sorted by position (ties keep the order they were found in). */
  sorted(): Diagnostic[] {
    return sortDiagnostics(this.#list);
  }

  private add(severity: Diagnostic['severity'], path: YamlPath, message: string, part: 'value' | 'key'): void {
    const { line, col } = positionAt(this.file, path, part);
    this.#list.push({ severity, file: this.file.display, line, col, message });
  }
}

export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.file.localeCompare(b.d.file) || a.d.line - b.d.line || a.d.col - b.d.col || a.i - b.i)
    .map(({ d }) => d);
}
