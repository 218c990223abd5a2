/**
 * Reading the fields of one record found by its bytes (table-records.ts), for partition keys over a
 * table's columns (table-keys.ts): a delimited record's fields as pandas' parser takes them (a
 * quoted field loses its quotes, `""` inside it is `"`), or a JSON Lines record's values. Only the
 * fields planning needs are decoded.
 */
import type { KeyValue, TableFormat } from './table-format.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** How a delimited file's bytes are decoded (a BOM is skipped before the first record). */
export type TextEncoding = 'utf8' | 'latin1';

export function textEncoding(format: Extract<TableFormat, { kind: 'delimited' }>): TextEncoding {
  // ascii is a subset of both; windows-1252 differs from latin1 only in characters no key needs to tell apart.
  return format.encoding === 'utf8' || format.encoding === 'utf8bom' ? 'utf8' : 'latin1';
}

/** The end of a record's content: before its line break (LF or CRLF). */
function contentEnd(bytes: Uint8Array, start: number, end: number): number {
  let e = end;
  if (e > start && bytes[e - 1] === LF) e--;
  if (e > start && bytes[e - 1] === CR) e--;
  return e;
}

/**
 * The first `count` fields of the delimited record `bytes[start, end)` (fewer when it has fewer),
 * as text. Text after a closing quote up to the delimiter is kept, as pandas keeps it.
 */
export function delimitedFields(bytes: Buffer, start: number, end: number, delimiter: Buffer, encoding: TextEncoding, count: number): string[] {
  const e = contentEnd(bytes, start, end);
  const out: string[] = [];
  let i = start;
  while (out.length < count) {
    let text = '';
    if (i < e && bytes[i] === QUOTE) {
      let from = i + 1;
      for (;;) {
        const q = bytes.indexOf(QUOTE, from);
        if (q === -1 || q >= e) {
          // An unclosed quote runs to the end of the record (pandas then reports the malformed row).
          text += bytes.toString(encoding, from, e);
          i = e;
          break;
        }
        if (q + 1 < e && bytes[q + 1] === QUOTE) {
          text += bytes.toString(encoding, from, q + 1);
          from = q + 2;
          continue;
        }
        text += bytes.toString(encoding, from, q);
        i = q + 1;
        break;
      }
    }
    // A one-byte delimiter is searched as a number: much faster than as a Buffer.
    const d = delimiter.length === 1 ? bytes.indexOf(delimiter[0] as number, i) : bytes.indexOf(delimiter, i);
    const fieldEnd = d === -1 || d >= e ? e : d;
    text += bytes.toString(encoding, i, fieldEnd);
    out.push(text);
    if (fieldEnd >= e) break;
    i = fieldEnd + delimiter.length;
  }
  return out;
}

/** Every field of a delimited record: a header's column names. */
export function allFields(bytes: Buffer, start: number, end: number, delimiter: Buffer, encoding: TextEncoding): string[] {
  return delimitedFields(bytes, start, end, delimiter, encoding, Infinity);
}

/** A JSON Lines record's object, or null when the line is not one (pandas then reports it). */
export function jsonRecord(bytes: Buffer, start: number, end: number): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8', start, contentEnd(bytes, start, end)));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A JSON value as a key value: scalars as they are, anything else as its JSON text. */
export function keyValueOf(value: unknown): KeyValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Numbers (and text that reads as one) first, by value; then text; then true/false; missing last. */
function rank(v: KeyValue): number {
  if (v === null || v === '') return 3;
  if (typeof v === 'number' || (typeof v === 'string' && NUMERIC.test(v))) return 0;
  return typeof v === 'string' ? 1 : 2;
}

/**
 * The order of partition-key mini-batches: by the first key's value, then the second's, …; each
 * compared by `rank`, numbers as numbers, text by code units, ties between equal numbers written
 * differently (`1`, `1.0`) by their text.
 */
export function compareKeyValues(a: readonly KeyValue[], b: readonly KeyValue[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    const rx = rank(x);
    const ry = rank(y);
    if (rx !== ry) return rx - ry;
    if (rx === 0) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    }
    const tx = String(x);
    const ty = String(y);
    if (tx !== ty) return tx < ty ? -1 : 1;
  }
  return 0;
}
