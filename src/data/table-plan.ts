/**
 * Planning a table into mini-batches (docs/TABULAR.md): each mini-batch is a range of
 * whole records of one file, about `miniBatchSize` bytes (or N rows), never crossing a file. The
 * planner reads the files once to find record boundaries (table-records.ts) and keeps only offsets;
 * each worker reads its own range, with the file's header, so no row passes through the
 * orchestrator.
 */
import { tableSliceKey } from './key.js';
import { listFileBatches } from './list.js';
import { listedFileBatches } from './listed.js';
import type { TableRead } from './table-format.js';
import { scanRecords, type RecordSink } from './table-records.js';
import type { RangeSlice } from './table-format.js';
import type { FileItem, PlannedMiniBatch } from './types.js';

/** A table's mini-batch size: bytes of records, or records. */
export type TableBatchSize = { readonly unit: 'bytes'; readonly bytes: number } | { readonly unit: 'rows'; readonly rows: number };

export interface TableInput {
  readonly name: string;
  /** The bound path: a folder (every file under it, sorted) or one file. */
  readonly path: string;
  /** The files an MLTable lists (absolute, in its order); null or absent: every file under `path`. */
  readonly files?: readonly string[] | null;
  /** Folders under `path` that are not its data (this run's outputs and run directory). @default none */
  readonly leftOut?: readonly string[];
  readonly read: TableRead;
}

/** Bytes per code unit of a table's text: records are found by whole code units (table-records.ts). */
export function codeUnitOf(format: TableRead['format']): 1 | 2 | 4 {
  if (format.kind !== 'delimited') return 1;
  return format.encoding === 'utf16' ? 2 : format.encoding === 'utf32' ? 4 : 1;
}

/** A table input's files, in plan order. */
export function tableFiles(input: TableInput): AsyncGenerator<FileItem[]> {
  const files = input.files ?? null;
  return files === null ? listFileBatches(input.path, input.leftOut ?? []) : listedFileBatches(files, input.path);
}

/**
 * The rows MLTable's `skip` and `take` keep, counted over the whole table in file order (as Azure
 * applies them): the first `skip` rows are left out, then `take` rows are kept (null: all).
 */
export class RowWindow {
  private seen = 0;

  constructor(
    private readonly skip: number,
    private readonly take: number | null,
  ) {}

  static of(read: TableRead): RowWindow {
    return new RowWindow(read.skipRows, read.takeRows);
  }

  /** Whether the next row of the table is kept; call once per row, in order. */
  admit(): boolean {
    const at = this.seen++;
    return at >= this.skip && (this.take === null || at < this.skip + this.take);
  }

  /** No later row can be kept: planning may stop reading. */
  get done(): boolean {
    return this.take !== null && this.seen >= this.skip + this.take;
  }
}

/**
 * Where each file's header is: its own first record, or (`from_first_file`) the first record of the
 * table's first file, whose header names every file's columns, the other files' first lines being
 * rows. Files are asked for in plan order.
 */
export class HeaderSource {
  private first: { readonly rel: string; readonly header: readonly [number, number] } | null = null;

  constructor(private readonly format: TableRead['format']) {}

  /** Whether `file`'s first record is its header. */
  ownHeader(): boolean {
    if (this.format.kind !== 'delimited' || this.format.header === 'no_header') return false;
    return this.format.header !== 'from_first_file' || this.first === null;
  }

  /** The header a slice of a file without its own reads, and the file it is in. */
  borrowed(): { readonly header: readonly [number, number] | null; readonly headerFile: string | null } {
    return this.first === null ? { header: null, headerFile: null } : { header: this.first.header, headerFile: this.first.rel };
  }

  /** A file's own header was found (the first one is every later file's under `from_first_file`). */
  found(rel: string, header: readonly [number, number] | null): void {
    if (this.first === null && header !== null) this.first = { rel, header };
  }
}

/**
 * The mini-batches of one table input, indexes counting from `firstIndex`, in groups (one per
 * chunk of a file read). `limit`: at most this many mini-batches (null: all).
 */
export async function* planTable(
  input: TableInput,
  size: TableBatchSize,
  firstIndex: number,
  limit: number | null,
): AsyncGenerator<PlannedMiniBatch[]> {
  const format = input.read.format;
  if (format.kind === 'parquet') throw new Error('planTable: a Parquet table is planned by planParquet (parquet-plan.ts)');
  let index = firstIndex;
  const end = limit === null ? Infinity : firstIndex + limit;
  const window = RowWindow.of(input.read);
  const headers = new HeaderSource(format);
  const quotes = format.kind === 'delimited' && format.supportMultiLine;
  const unit = codeUnitOf(format);
  for await (const files of tableFiles(input)) {
    for (const file of files) {
      if (window.done) return;
      const own = headers.ownHeader();
      const cutter = new SliceCutter(size, own ? null : headers.borrowed(), window);
      for await (const slices of scanRecords(file.path, { quotes, unit }, cutter)) {
        const planned = slices.slice(0, Math.max(0, end - index)).map((slice) => miniBatch(input.name, file, slice, index++));
        if (planned.length > 0) yield planned;
        if (index >= end) return;
      }
      if (own) headers.found(file.rel, cutter.headerFound);
    }
  }
}

function miniBatch(input: string, file: FileItem, slice: RangeSlice, index: number): PlannedMiniBatch {
  return { index, input, items: [file], key: tableSliceKey(input, file, slice), slice };
}

/**
 * Cuts one file's records into slices: a slice ends before the record that would take it past the
 * size in bytes (a record wider than the size is a slice of its own), or at N rows. Blank lines are
 * no rows: those before the first row are left out, those after the last too. Rows the window
 * leaves out (`skip`, `take`) are in no slice.
 */
export class SliceCutter implements RecordSink<RangeSlice> {
  private header: readonly [number, number] | null = null;
  private readonly headerFile: string | null;
  private needHeader: boolean;
  private start = -1;
  private end = -1;
  private rows = 0;
  private out: RangeSlice[] = [];

  /**
   * `borrowed`: the header this file's slices read from another file, or null when the file's own
   * first record is its header.
   */
  constructor(
    private readonly size: TableBatchSize,
    borrowed: { readonly header: readonly [number, number] | null; readonly headerFile: string | null } | null,
    private readonly window: RowWindow = new RowWindow(0, null),
  ) {
    this.needHeader = borrowed === null;
    this.header = borrowed?.header ?? null;
    this.headerFile = borrowed?.headerFile ?? null;
  }

  /** The file's own header record, once read; null when it has none (or borrows one). */
  get headerFound(): readonly [number, number] | null {
    return this.headerFile === null ? this.header : null;
  }

  record(start: number, end: number, blank: boolean): void {
    if (blank) return;
    if (this.needHeader) {
      this.header = [start, end];
      this.needHeader = false;
      return;
    }
    if (!this.window.admit()) {
      // A slice holds consecutive rows: one left out ends it.
      if (this.rows > 0) this.cut();
      return;
    }
    if (this.rows > 0 && this.size.unit === 'bytes' && end - this.start > this.size.bytes) this.cut();
    if (this.rows === 0) this.start = start;
    this.end = end;
    this.rows++;
    if (this.size.unit === 'bytes' ? end - this.start >= this.size.bytes : this.rows >= this.size.rows) this.cut();
  }

  finish(): void {
    if (this.rows > 0) this.cut();
  }

  drain(): RangeSlice[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private cut(): void {
    this.out.push({ start: this.start, end: this.end, rows: this.rows, header: this.header, headerFile: this.headerFile });
    this.rows = 0;
  }
}
