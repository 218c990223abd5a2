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
import type { FileItem, PlannedMiniBatch, TableSlice } from './types.js';

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

/** A table input's files, in plan order. */
export function tableFiles(input: TableInput): AsyncGenerator<FileItem[]> {
  const files = input.files ?? null;
  return files === null ? listFileBatches(input.path, input.leftOut ?? []) : listedFileBatches(files, input.path);
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
  for await (const files of tableFiles(input)) {
    for (const file of files) {
      const header = format.kind === 'delimited' && format.header !== 'no_header';
      const cutter = new SliceCutter(size, header);
      const quotes = format.kind === 'delimited' && format.supportMultiLine;
      const unit = format.encoding === 'utf16' ? 2 : format.encoding === 'utf32' ? 4 : 1;
      for await (const slices of scanRecords(file.path, { quotes, unit }, cutter)) {
        const planned = slices.slice(0, Math.max(0, end - index)).map((slice) => miniBatch(input.name, file, slice, index++));
        if (planned.length > 0) yield planned;
        if (index >= end) return;
      }
    }
  }
}

function miniBatch(input: string, file: FileItem, slice: TableSlice, index: number): PlannedMiniBatch {
  return { index, input, items: [file], key: tableSliceKey(input, file, slice), slice };
}

/**
 * Cuts one file's records into slices: a slice ends before the record that would take it past the
 * size in bytes (a record wider than the size is a slice of its own), or at N rows. Blank lines are
 * no rows: those before the first row are left out, those after the last too.
 */
export class SliceCutter implements RecordSink<TableSlice> {
  private header: readonly [number, number] | null = null;
  private needHeader: boolean;
  private start = -1;
  private end = -1;
  private rows = 0;
  private out: TableSlice[] = [];

  constructor(
    private readonly size: TableBatchSize,
    header: boolean,
  ) {
    this.needHeader = header;
  }

  record(start: number, end: number, blank: boolean): void {
    if (blank) return;
    if (this.needHeader) {
      this.header = [start, end];
      this.needHeader = false;
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

  drain(): TableSlice[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private cut(): void {
    this.out.push({ start: this.start, end: this.end, rows: this.rows, header: this.header });
    this.rows = 0;
  }
}
