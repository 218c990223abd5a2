/** The dataset as minibatch sees it: items, grouped into mini-batches. */

/** One file of a file dataset. */
export interface FileItem {
  /** Absolute path (symbolic links are not resolved: the path the user's tree shows). */
  readonly path: string;
  /** Path relative to the input's root, with `/` separators; the file's name for a single-file input. */
  readonly rel: string;
  readonly size: number;
  /** Modification time in milliseconds (integer). */
  readonly mtimeMs: number;
}

/**
 * The rows of one table file that a tabular mini-batch holds: whole records, planned by offsets
 * and read by the worker itself (docs/TABULAR.md), so the data never passes through the orchestrator.
 */
export interface TableSlice {
  /** Byte offsets of the records in the file: [start, end). */
  readonly start: number;
  readonly end: number;
  /** Records (rows) in the range; blank lines are not rows. */
  readonly rows: number;
  /** Byte range of the file's header record (after a BOM), read with every mini-batch; null when none. */
  readonly header: readonly [start: number, end: number] | null;
}

/** Consecutive items of one input. */
export interface PlannedMiniBatch {
  /** Counts from 0 across all inputs, in plan order. */
  readonly index: number;
  /** The input port's name. */
  readonly input: string;
  readonly items: readonly FileItem[];
  /** Hash of the items' paths, sizes and modification times (and a table slice's range): what resume matches on. */
  readonly key: string;
  /** A tabular mini-batch: its one item's rows; null for a file dataset. */
  readonly slice: TableSlice | null;
}
