/**
 * The parent ↔ worker protocol (docs/ARCHITECTURE.md, "Host channels"): JSON lines on two extra
 * pipes, fd 3 parent→worker and fd 4 worker→parent, so that whatever user code prints on
 * stdout/stderr goes to its log files unparsed. Messages are a discriminated union on `type`; the
 * first message (`hello`) carries the protocol version. The Python side is
 * `python/_minibatch_host.py`; keep both in step.
 */

import type { MiniBatchContext, Rows, TableTask, WorkerError } from '../core/tries.js';

/** 5: a `run` message's table may be a partition-key slice over several files (`KeySlice`), with `headerPaths` and `pathColumns`. */
export const PROTOCOL_VERSION = 5;

/** What the worker host needs to start the entry script. */
export interface InitRequest {
  readonly type: 'init';
  /** Absolute path of the entry script. */
  readonly entry: string;
  /** `sys.argv[1:]`: the rendered args, then `--output <outputData>`. */
  readonly args: readonly string[];
  /** The entry script's folder, the working directory; on `sys.path` after `codeDir`. */
  readonly workingDir: string;
  /** The code folder (a module's folder, a v2 task's `code`): first on `sys.path`, as on Azure. */
  readonly codeDir: string;
  /** `EntryScript().log_dir`: the run's `logs/user` folder. */
  readonly logDir: string;
  /** `EntryScript().output_dir`: the outputData path. */
  readonly outputDir: string;
  /** The entry-script log file of this worker (`logs/user/entry_script_log/<worker>.txt`). */
  readonly entryLogFile: string;
  /** `EntryScript().agent_name`. */
  readonly agentName: string;
  readonly loggingLevel: 'DEBUG' | 'INFO' | 'WARNING';
  /** Bound ModelDirectory inputs by name, for the `Model.get_model_path` shim. */
  readonly models: Readonly<Record<string, string>>;
  /** Every bound input port's path by name, for `Dataset.get_by_name`. */
  readonly inputs: Readonly<Record<string, string>>;
  /** How rows are shaped for the output file. */
  readonly rowFormat: 'lines' | 'table' | 'none';
  /**
   * This worker's run-state file, where the host records each run as it starts (run-state.ts);
   * null in debug mode, where nobody watches.
   */
  readonly stateFile: string | null;
}

export interface RunRequest {
  readonly type: 'run';
  /**
   * Unique per worker process, a positive integer in decimal (the run-state file holds it as a
   * number); every reply about this run carries it.
   */
  readonly id: string;
  readonly attempt: number;
  /** Absolute file paths (file dataset); a table's one file. */
  readonly items: readonly string[];
  readonly context: MiniBatchContext;
  /** A tabular mini-batch's rows; null for files. */
  readonly table: TableTask | null;
}

export type ParentMessage =
  | InitRequest
  | RunRequest
  /**
   * Withdraws a prefetched `run` (a graceful stop, or the pool rebalancing). The host reads its pipe
   * between runs (at most every millisecond while short runs follow each other) and answers
   * `cancelled` at once, out of turn, if that run had not started; otherwise the run goes on and is
   * answered as usual. Either way the parent learns for certain whether it ran.
   */
  | { readonly type: 'cancel'; readonly id: string }
  | { readonly type: 'shutdown' };

/** Why `run()` failed without killing its process: it raised, or returned what cannot be counted. */
export type RunFailure = 'raised' | 'bad_return';

/**
 * Durations (`durationMs`) are measured by the worker host itself, around `init()` or `run()`;
 * `startedAt` is when the run started, in ms since the epoch. The answers to runs (`result`,
 * `run_failed`, `cancelled`) come in groups, a few milliseconds late: which run is in progress is in
 * the run-state file, not in a message.
 */
export type WorkerMessage =
  | {
      readonly type: 'hello';
      readonly version: number;
      readonly pid: number;
      /** The interpreter's own `sys.executable`. */
      readonly executable: string;
      readonly pythonVersion: string;
    }
  | { readonly type: 'ready'; readonly durationMs: number }
  | { readonly type: 'init_failed'; readonly error: WorkerError; readonly durationMs: number }
  | {
      readonly type: 'result';
      readonly id: string;
      /** min(len(result), items). */
      readonly succeeded: number;
      readonly rows: Rows | null;
      readonly startedAt: number;
      readonly durationMs: number;
    }
  | {
      readonly type: 'run_failed';
      readonly id: string;
      /** A field, not `error.type`: a user's exception may be called anything, `BadReturn` included. */
      readonly failure: RunFailure;
      readonly error: WorkerError;
      readonly startedAt: number;
      readonly durationMs: number;
    }
  /** The answer to `cancel` when the run had not started. */
  | { readonly type: 'cancelled'; readonly id: string }
  | { readonly type: 'bye' };

export type WorkerMessageType = WorkerMessage['type'];

/** Exhaustiveness helper for `switch` over a union's `type`. */
export function assertNever(value: never): never {
  throw new Error(`unexpected message: ${JSON.stringify(value)}`);
}
