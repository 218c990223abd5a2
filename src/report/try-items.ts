/**
 * What a failed try held, as `logs/job_error.txt` and `minibatch status` name it: a file
 * mini-batch's first few paths and how many more, or a table mini-batch's file with its byte range
 * (delimited text, JSON Lines) or row range (Parquet), so that a user can open exactly the data
 * that failed.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { TableSlice } from '../core/table-format.js';

/** Paths named before "… and N more". */
export const ITEMS_SHOWN = 5;

/** The range of one table file a mini-batch holds. `bytes`: offsets [start, end); `rows`: row numbers [start, end). */
export interface TableRange {
  readonly file: string;
  readonly unit: 'bytes' | 'rows';
  readonly start: number;
  readonly end: number;
  readonly rows: number;
}

export interface TryItems {
  /** Files, or a table's rows. */
  readonly count: number;
  /** The first ITEMS_SHOWN absolute paths (a table mini-batch: its one file). */
  readonly shown: readonly string[];
  /** Paths not shown. */
  readonly more: number;
  /** A table mini-batch's range; null for files. */
  readonly table: TableRange | null;
}

/** `paths` of a mini-batch; `table` with its slice, and whether the file is Parquet (whose slices count rows). */
export function tryItems(paths: readonly string[], table: { readonly slice: TableSlice; readonly parquet: boolean } | null): TryItems {
  const first = paths[0];
  if (table !== null && first !== undefined) {
    const { slice } = table;
    const unit = table.parquet ? 'rows' : 'bytes';
    if ('kind' in slice) {
      // A partition-key mini-batch holds ranges of several files: its first file's span names it.
      const ranges = slice.parts[0]?.ranges ?? [];
      const start = ranges[0]?.[0] ?? 0;
      const end = ranges[ranges.length - 1]?.[1] ?? start;
      return { count: slice.rows, shown: [first], more: paths.length - 1, table: { file: first, unit, start, end, rows: slice.rows } };
    }
    return {
      count: slice.rows,
      shown: [first],
      more: 0,
      table: { file: first, unit, start: slice.start, end: slice.end, rows: slice.rows },
    };
  }
  const shown = paths.slice(0, ITEMS_SHOWN);
  return { count: paths.length, shown, more: paths.length - shown.length, table: null };
}

/**
 * `3 files: /d/a.txt, /d/b.txt, /d/c.txt`, `12 files: … and 7 more`, or a table's
 * `/d/t.csv, bytes 0–65536 (250 rows)` / `/d/t.parquet, rows 1000–1250 (250 rows)`; a partition-key
 * mini-batch: its first file's span, `… and 2 more files (250 rows)`.
 */
export function formatTryItems(items: TryItems): string {
  const t = items.table;
  if (t !== null) {
    const others = items.more > 0 ? ` and ${items.more} more ${items.more === 1 ? 'file' : 'files'}` : '';
    return `${t.file}, ${t.unit} ${t.start}–${t.end}${others} (${t.rows} ${t.rows === 1 ? 'row' : 'rows'})`;
  }
  const files = `${items.count} ${items.count === 1 ? 'file' : 'files'}`;
  return `${files}: ${items.shown.join(', ')}${items.more > 0 ? ` … and ${items.more} more` : ''}`;
}

/**
 * Whether `path` is a Parquet file, by its magic bytes: a reader of a run from outside (`status`)
 * has the slice but not the input's declared format, and a table's format may come from an MLTable.
 */
export function isParquetFile(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === 'PAR1';
  } catch {
    // A file gone since: its name is the best guess left.
    return /\.parquet$/i.test(path);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
