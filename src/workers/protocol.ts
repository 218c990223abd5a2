/**
 * The parent ↔ worker protocol (DESIGN §6): JSON lines on two extra pipes, fd 3 parent→worker and
 * fd 4 worker→parent, so that whatever user code prints on stdout/stderr goes to its log files
 * unparsed. Messages are a discriminated union on `type`; the first message (`hello`) carries the
 * protocol version. The Python side is `python/minibatch_host.py`; keep both in step.
 */

export const PROTOCOL_VERSION = 1;

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
 */
export type Rows =
  | { readonly kind: 'lines'; readonly lines: readonly string[] }
  | { readonly kind: 'table'; readonly columns: readonly string[]; readonly values: readonly (readonly unknown[])[] };

export interface MiniBatchContext {
  readonly minibatch_index: number;
  readonly partition_key_value: Readonly<Record<string, string>> | null;
}

/** What the worker host needs to start the entry script. */
export interface InitRequest {
  readonly type: 'init';
  /** Absolute path of the entry script. */
  readonly entry: string;
  /** `sys.argv[1:]`: the rendered args, then `--output <outputData>`. */
  readonly args: readonly string[];
  /** The entry script's folder; also first on `sys.path`. */
  readonly workingDir: string;
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
  /** How rows are shaped for the output file. */
  readonly rowFormat: 'lines' | 'table' | 'none';
}

export type ParentMessage =
  | InitRequest
  | {
      readonly type: 'run';
      readonly id: string;
      readonly attempt: number;
      /** Absolute file paths (file dataset). */
      readonly items: readonly string[];
      readonly context: MiniBatchContext;
    }
  | { readonly type: 'shutdown' };

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
  | { readonly type: 'started'; readonly id: string }
  | {
      readonly type: 'result';
      readonly id: string;
      /** min(len(result), items). */
      readonly succeeded: number;
      readonly rows: Rows | null;
      readonly durationMs: number;
    }
  | { readonly type: 'run_failed'; readonly id: string; readonly error: WorkerError; readonly durationMs: number }
  | { readonly type: 'bye' };

/** Exhaustiveness helper for `switch` over a union's `type`. */
export function assertNever(value: never): never {
  throw new Error(`unexpected message: ${JSON.stringify(value)}`);
}
