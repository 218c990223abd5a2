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

import type { TableSlice } from '../core/table-format.js';

export type { TableSlice };

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
