/**
 * The append_row output file (docs/ARCHITECTURE.md, "Tries"): the committed rows of every mini-batch, in mini-batch
 * order, written aside and renamed into place so that the file appears whole or not at all.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AppendRowFormat } from '../spec/types.js';
import type { Rows } from '../core/tries.js';
import { killPoint } from '../core/kill-points.js';
import { pythonFloat } from '../core/python-float.js';
import { writeParquetRows } from './parquet-rows.js';

export interface RowsFileResult {
  readonly rows: number;
  /** Mini-batches whose columns differ from the header (the first table's); their rows were left out. */
  readonly misfits: readonly { readonly index: number; readonly columns: readonly string[] }[];
  readonly header: readonly string[] | null;
}

/** Bytes gathered before one write; keeps a million small rows from costing a million syscalls. */
const WRITE_CHUNK = 1 << 20;

/**
 * Writes `batches` in the order given. Parquet reads them twice (its column types are settled
 * first), so pass an iterable that can start again (`{ [Symbol.iterator]: () => ledger.rowsInOrder() }`).
 */
export function writeRowsFile(
  file: string,
  format: AppendRowFormat,
  batches: Iterable<{ readonly index: number; readonly rows: Rows }>,
): RowsFileResult {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.partial`;
  let result: RowsFileResult;
  try {
    result = format === 'parquet' ? writeParquetRows(tmp, batches) : writeTextRows(tmp, format, batches);
  } catch (error) {
    // A full disk: give back what the half-written file holds, so that freeing space is enough.
    rmSync(tmp, { force: true });
    throw error;
  }
  killPoint('rows-partial');
  renameSync(tmp, file);
  return result;
}

function writeTextRows(
  tmp: string,
  format: Exclude<AppendRowFormat, 'parquet'>,
  batches: Iterable<{ readonly index: number; readonly rows: Rows }>,
): RowsFileResult {
  const fd = openSync(tmp, 'w');
  let pending = '';
  const out = (text: string): void => {
    pending += text;
    if (pending.length >= WRITE_CHUNK) {
      writeAll(fd, pending);
      pending = '';
    }
  };
  let header: readonly string[] | null = null;
  let count = 0;
  const misfits: { index: number; columns: readonly string[] }[] = [];
  try {
    for (const { index, rows } of batches) {
      if (rows.kind === 'lines') {
        for (const line of rows.lines) out(line + '\n');
        count += rows.lines.length;
        continue;
      }
      // A mini-batch that returned no rows has no say in the header (nor can it misfit).
      if (rows.values.length === 0) continue;
      if (header === null) {
        header = rows.columns;
        if (format === 'csv') out(header.map((name) => csvField(name)).join(',') + '\n');
      } else if (!sameColumns(header, rows.columns)) {
        misfits.push({ index, columns: rows.columns });
        continue;
      }
      // Float columns are written as pandas writes them (3.0, 1e-05); JSON cells alone cannot tell 3.0 from 3.
      const floats = rows.columns.map((_, i) => rows.dtypes?.[i] === 'float');
      for (const values of rows.values) {
        out(format === 'jsonl' ? jsonlRow(rows.columns, values, floats) : values.map((v, i) => csvField(v, floats[i] === true)).join(',') + '\n');
      }
      count += rows.values.length;
    }
    if (pending.length > 0) writeAll(fd, pending);
  } finally {
    closeSync(fd);
  }
  return { rows: count, misfits, header };
}

/**
 * `writeSync` may write less than asked and say so only in its return value: a disk that fills up
 * mid-write would leave a silently truncated file. Writing the rest raises ENOSPC instead.
 */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written);
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/** One JSON object, keys in column order (JSON.stringify would move integer-like names first). */
function jsonlRow(columns: readonly string[], values: readonly unknown[], floats: readonly boolean[]): string {
  const fields = columns.map((c, i) => {
    const value = values[i] ?? null;
    const text = floats[i] === true && typeof value === 'number' ? pythonFloat(value) : JSON.stringify(value);
    return `${JSON.stringify(c)}:${text}`;
  });
  return `{${fields.join(',')}}\n`;
}

/** RFC 4180 field; booleans, None and floats as pandas' `to_csv` writes them. */
function csvField(value: unknown, float = false): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'boolean') text = value ? 'True' : 'False';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number') text = float ? pythonFloat(value) : String(value);
  else text = JSON.stringify(value) ?? '';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
