/**
 * The append_row file as Parquet (`appendRowFormat: parquet`), written with hyparquet-writer so that
 * no pyarrow is needed. Two passes over the committed rows, both streamed from the ledger: the
 * first settles the header and each column's type over every mini-batch (a column that holds
 * integers in one mini-batch and floats in another is written as floats), the second writes row
 * groups as they fill, so memory holds one row group, never the table.
 */
import { fileWriter, ParquetWriter, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import type { ColumnKind, Rows } from '../core/tries.js';
import type { RowsFileResult } from './rows-file.js';

type Batch = { readonly index: number; readonly rows: Rows };
type Table = Extract<Rows, { kind: 'table' }>;

/** Cells gathered before a row group is written: about 100,000 rows of 10 columns. */
const ROW_GROUP_CELLS = 1_000_000;

interface Layout {
  readonly header: readonly string[] | null;
  readonly kinds: readonly ColumnKind[];
  readonly misfits: RowsFileResult['misfits'];
}

/**
 * Writes `batches` (iterated twice: pass something that can start again, not a used generator) to
 * `file`, the caller's aside file. A row group is written once it holds `rowGroupCells` cells.
 */
export function writeParquetRows(file: string, batches: Iterable<Batch>, rowGroupCells = ROW_GROUP_CELLS): RowsFileResult {
  const layout = layoutOf(batches);
  const misfit = new Set(layout.misfits.map((m) => m.index));
  const header = layout.header ?? [];
  // No min/max statistics: they cost a fifth of the writing, and a rows file is read whole.
  const writer = new ParquetWriter({ writer: fileWriter(file), schema: schemaOf(header, layout.kinds), statistics: false, createdBy: 'minibatch' });
  let columns: unknown[][] = header.map(() => []);
  let pending = 0;
  let count = 0;
  const flush = (): void => {
    if (pending === 0) return;
    const columnData: ColumnSource[] = header.map((name, c) => ({ name, data: columns[c] ?? [] }));
    // Synchronous: only a writer with an async `flush` makes it a promise, and fileWriter has none.
    void writer.write({ columnData, rowGroupSize: pending });
    columns = header.map(() => []);
    pending = 0;
  };
  for (const { index, rows } of batches) {
    const table = asTable(rows);
    if (table.values.length === 0 || misfit.has(index)) continue;
    for (const values of table.values) {
      values.forEach((value, c) => columns[c]?.push(cellOf(value, layout.kinds[c] ?? 'string')));
      pending += 1;
    }
    count += table.values.length;
    if (pending * Math.max(header.length, 1) >= rowGroupCells) flush();
  }
  flush();
  void writer.finish();
  return { rows: count, misfits: layout.misfits, header: layout.header };
}

/** The first pass: the header (the first mini-batch with rows), the misfits, each column's type. */
function layoutOf(batches: Iterable<Batch>): Layout {
  let header: readonly string[] | null = null;
  let kinds: ColumnKind[] = [];
  const misfits: { index: number; columns: readonly string[] }[] = [];
  for (const { index, rows } of batches) {
    const table = asTable(rows);
    if (table.values.length === 0) continue;
    if (header === null) {
      header = table.columns;
      kinds = kindsOf(table);
    } else if (!sameColumns(header, table.columns)) {
      misfits.push({ index, columns: table.columns });
    } else {
      kinds = kindsOf(table).map((k, c) => widen(kinds[c] ?? k, k));
    }
  }
  return { header, kinds, misfits };
}

/** Rows of the txt shape (committed by a run whose format changed) are one string column. */
function asTable(rows: Rows): Table {
  if (rows.kind === 'table') return rows;
  return { kind: 'table', columns: ['result'], values: rows.lines.map((l) => [l]), dtypes: ['string'] };
}

function kindsOf(table: Table): ColumnKind[] {
  return table.columns.map((_, c) => table.dtypes?.[c] ?? kindOfCells(table.values, c));
}

/** For rows without `dtypes`: a JSON number is an `int` only if every one is integral. */
function kindOfCells(values: readonly (readonly unknown[])[], c: number): ColumnKind {
  let kind: ColumnKind | null = null;
  for (const row of values) {
    const v = row[c];
    if (v === null || v === undefined) continue;
    const k: ColumnKind =
      typeof v === 'boolean' ? 'bool' : typeof v === 'string' ? 'string' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : 'object';
    kind = kind === null ? k : widen(kind, k);
  }
  return kind ?? 'null';
}

/** The one type two mini-batches' columns fit in: integers with floats are floats, else text. */
function widen(a: ColumnKind, b: ColumnKind): ColumnKind {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if ((a === 'int' && b === 'float') || (a === 'float' && b === 'int')) return 'float';
  return 'object';
}

/**
 * Every column may hold nulls (None, NaN, NaT); `object` columns are text (strings as they are,
 * the rest as JSON), and so is a column that held nothing but nulls.
 */
function schemaOf(header: readonly string[], kinds: readonly ColumnKind[]): SchemaElement[] {
  const element = (name: string, kind: ColumnKind): SchemaElement => {
    const base = { name, repetition_type: 'OPTIONAL' as const };
    switch (kind) {
      case 'int':
        return { ...base, type: 'INT64' };
      case 'float':
        return { ...base, type: 'DOUBLE' };
      case 'bool':
        return { ...base, type: 'BOOLEAN' };
      case 'string':
      case 'object':
      case 'null':
        return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    }
  };
  return [{ name: 'root', num_children: header.length }, ...header.map((name, c) => element(name, kinds[c] ?? 'string'))];
}

function cellOf(value: unknown, kind: ColumnKind): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'int':
      return BigInt(value as number);
    case 'float':
    case 'bool':
      return value;
    case 'string':
    case 'object':
    case 'null':
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
