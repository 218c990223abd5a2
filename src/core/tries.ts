/**
 * The seam between the scheduler and whatever executes tries: the local worker pool, or BullMQ on
 * Redis. The scheduler decides what runs, when, and how often (tries, thresholds); a backend only
 * runs one try of one mini-batch and reports its outcome as data.
 */
import type { TableRead, TableSlice } from './table-format.js';

/** An error raised in the worker, as Python reported it. */
export interface WorkerError {
  /** The exception's class name (`ValueError`), or a minibatch name (`BadReturn`, `Timeout`, `Crash`). */
  readonly type: string;
  readonly message: string;
  /** The formatted traceback, or '' when there is none. */
  readonly traceback: string;
}

/**
 * Rows returned by one `run()`, shaped for the job's `appendRowFormat` by the worker host.
 * `lines`: txt, one `str()` per item (a DataFrame row space-separated, no header, no index).
 * `table`: csv/jsonl, a header and one array of JSON values per row. A list of dicts takes its
 * header from the first dict; a DataFrame from its columns; anything else is one column `result`.
 * The host checks that every row of one result fits its header (else the try fails as `bad_return`);
 * whether headers agree across mini-batches is for the writer to judge. Cells are JSON values: numpy
 * scalars become numbers, NaN and NaT become null, anything else not JSON becomes its `str()`. An
 * empty list has `columns: []`. `dtypes` is each column's kind, which JSON cells cannot tell (1.0 is
 * 1): a DataFrame's from its dtypes, a list's from its cells; rows committed by a build before it
 * have none.
 */
export type Rows =
  | { readonly kind: 'lines'; readonly lines: readonly string[] }
  | {
      readonly kind: 'table';
      readonly columns: readonly string[];
      readonly values: readonly (readonly unknown[])[];
      readonly dtypes?: readonly ColumnKind[];
    };

/**
 * A table column's kind: `object` is a mix, or values that are none of the others (lists, dicts);
 * `null` a column of nulls only, which fits any kind.
 */
export type ColumnKind = 'int' | 'float' | 'bool' | 'string' | 'object' | 'null';

export interface MiniBatchContext {
  readonly minibatch_index: number;
  /** With partition keys: the mini-batch's value of each key. */
  readonly partition_key_value: Readonly<Record<string, string>> | null;
  /**
   * With partition keys over files: the folder that `mini_batch_context.dataset.to_path()` gives
   * paths relative to (the MLTable's); null otherwise, and then `dataset` is None.
   */
  readonly dataset_root: string | null;
}

/**
 * A tabular mini-batch: which rows of its one file to read, and how (the worker host reads them
 * itself into a pandas DataFrame: python/_minibatch_tabular.py).
 */
export interface TableTask {
  readonly read: TableRead;
  readonly slice: TableSlice;
  /** Per item, in order: the file holding its header when that is another file (`from_first_file`), absolute; else null. */
  readonly headerPaths: readonly (string | null)[];
  /** Per item, in order: the partition format's values from its path, added to its rows as columns; `{}` without one. */
  readonly pathColumns: readonly Readonly<Record<string, string>>[];
}

/** One try of one mini-batch. */
export interface TryTask {
  readonly miniBatch: number;
  /** 1-based; the scheduler counts tries. */
  readonly attempt: number;
  /** Absolute file paths. */
  readonly items: readonly string[];
  readonly context: MiniBatchContext;
  /** A tabular mini-batch's rows and how to read them; null for files. */
  readonly table: TableTask | null;
}

/** Why a try failed; retry decisions read this field, never `instanceof`. */
export type FailureKind =
  /** `run()` raised. */
  | 'raised'
  /** `run()` returned something that is not a list, tuple, generator or DataFrame. */
  | 'bad_return'
  /** `run()` ran longer than runInvocationTimeout; its process group was killed. */
  | 'timeout'
  /** The worker process died while running it (os._exit, a signal, out of memory). */
  | 'crash';

export type TryOutcome =
  | {
      readonly kind: 'succeeded';
      readonly miniBatch: number;
      readonly attempt: number;
      readonly worker: string;
      /** min(len(result), items): fewer than the items means a short return (not retried). */
      readonly succeeded: number;
      readonly rows: Rows | null;
      readonly startedAt: number;
      readonly durationMs: number;
    }
  | {
      readonly kind: 'failed';
      readonly miniBatch: number;
      readonly attempt: number;
      readonly worker: string;
      readonly failure: FailureKind;
      readonly error: WorkerError;
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly startedAt: number;
      readonly durationMs: number;
    }
  | {
      /**
       * The try never started (prefetched on a worker that then died or was stopped), or was stopped
       * by the user. No try is charged; the scheduler runs it again later.
       */
      readonly kind: 'not_started';
      readonly miniBatch: number;
      readonly attempt: number;
    };

/** Lifecycle events a backend reports for logs and progress. */
export type WorkerEvent =
  | { readonly type: 'worker_started'; readonly worker: string; readonly pid: number }
  | { readonly type: 'worker_ready'; readonly worker: string; readonly durationMs: number }
  | { readonly type: 'worker_init_failed'; readonly worker: string; readonly error: WorkerError }
  | {
      readonly type: 'worker_exited';
      readonly worker: string;
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly expected: boolean;
    };

/** Who serves a run now, on a backend of several machines: the machines (hosts) and their Python processes. */
export interface Serving {
  readonly machines: number;
  readonly processes: number;
}

export interface Executor {
  /**
   * Resolves when a try can be submitted without waiting behind others (a free slot, counting one
   * prefetched mini-batch per worker). Rejects with a `RunFailedError` when the backend can no
   * longer run anything (e.g. every worker keeps failing `init()`).
   */
  waitForSlot(): Promise<void>;
  /** Runs one try. Never rejects for a failure of user code: that is an outcome. */
  submit(task: TryTask): Promise<TryOutcome>;
  /**
   * Stops. `graceful`: tries that started finish; prefetched ones resolve `not_started`; then
   * workers run `shutdown()` and exit. Not graceful: workers are killed now and every pending
   * try resolves `not_started`.
   */
  stop(mode: 'graceful' | 'now'): Promise<void>;
  /** Who serves the run now (the progress line shows it); absent for the pool of this machine alone. */
  serving?(): Serving;
  /**
   * Tries whose `run()` is under way now: not those waiting behind another in a worker's line
   * (prefetched) or in a queue. For progress, read on its timers. @default the tries submitted and not answered
   */
  runningTries?(): number;
}
