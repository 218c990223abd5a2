/**
 * The resolved types of a module spec and a job. User input (YAML, job files, flags) is parsed and
 * validated once at the edge into these; everything downstream takes only these types: nothing is
 * optional that has a default, durations are milliseconds, paths are absolute.
 */

import type { TableRead } from '../core/table-format.js';

export type ParamType = 'String' | 'Integer' | 'Float' | 'Boolean' | 'Enum';
export type ParamValue = string | number | boolean;

/** A data port: something bound to a path (`AnyDirectory`, `ModelDirectory`, `AnyFile`, …). */
export interface PortDecl {
  readonly kind: 'port';
  readonly name: string;
  /** Data type names; a port may accept several. */
  readonly types: readonly string[];
  readonly optional: boolean;
  readonly description: string | null;
}

/** A parameter: something bound to a value. */
export interface ParamDecl {
  readonly kind: 'param';
  readonly name: string;
  readonly type: ParamType;
  readonly optional: boolean;
  readonly default: ParamValue | null;
  readonly min: number | null;
  readonly max: number | null;
  /** Enum options; empty for other types. */
  readonly options: readonly string[];
  readonly description: string | null;
}

export type InputDecl = PortDecl | ParamDecl;

export interface OutputDecl {
  readonly name: string;
  readonly type: string;
  readonly description: string | null;
}

/** One element of `implementation.parallel.args`. */
export type ArgTemplate =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'inputPath'; readonly name: string }
  | { readonly kind: 'inputValue'; readonly name: string }
  | { readonly kind: 'outputPath'; readonly name: string }
  /** `[--flag, {inputValue: N}]`: dropped whole when a placeholder in it names an optional, unset input. */
  | { readonly kind: 'group'; readonly items: readonly ArgTemplate[] }
  /** One word made of several parts (`--data=${{inputs.x}}` in an Azure ML v2 `program_arguments`). */
  | { readonly kind: 'concat'; readonly parts: readonly ArgTemplate[] };

export type Environment =
  | {
      readonly kind: 'amlEnvironment';
      /** `amlEnvironment.python.interpreterPath`, or null for the default. */
      readonly interpreterPath: string | null;
      /** Declared conda/pip dependencies minibatch does not install (reported once as a note). */
      readonly declaredDependencies: readonly string[];
    }
  | { readonly kind: 'image'; readonly image: string };

export interface ModuleSpec {
  /** Absolute path of the spec file. */
  readonly file: string;
  /** The spec's folder: the module's source directory. */
  readonly sourceDir: string;
  readonly name: string;
  readonly version: string;
  readonly namespace: string | null;
  readonly description: string | null;
  readonly isDeterministic: boolean | null;
  readonly inputs: readonly InputDecl[];
  readonly outputs: readonly OutputDecl[];
  readonly environment: Environment;
  /** Names of input ports whose items are the dataset, in order. */
  readonly inputData: readonly string[];
  /** Name of the output that receives `--output` and the append_row file. */
  readonly outputData: string;
  /** Absolute path of the entry script. */
  readonly entry: string;
  readonly args: readonly ArgTemplate[];
  /**
   * Whether the entry's argv ends with `--output <outputData path>`: ParallelRunStep's modules pass
   * it; an Azure ML v2 job passes its `program_arguments` alone.
   */
  readonly passOutputArg: boolean;
  /** `implementation.parallel.settings`, already validated, in the same units as `RunSettings`. */
  readonly settings: Partial<RunSettings>;
  /**
   * Where each of `settings` was written, in the source file's own terms (`retry_settings.timeout`,
   * `--allowed_failed_percent in program_arguments`), for `explain`; empty when the key is the
   * setting's own name.
   */
  readonly settingOrigins: Readonly<Partial<Record<SettingName, string>>>;
}

export type OutputAction = 'summary_only' | 'append_row';
export type AppendRowFormat = 'txt' | 'csv' | 'jsonl' | 'parquet';
export type LoggingLevel = 'DEBUG' | 'INFO' | 'WARNING';

/**
 * A mini-batch size: a bare count (files of a file dataset, bytes of a table, as ParallelRunStep
 * reads it), a size in bytes, or rows (tabular only).
 */
export type MiniBatchSize =
  | { readonly unit: 'items'; readonly count: number }
  | { readonly unit: 'bytes'; readonly bytes: number }
  | { readonly unit: 'rows'; readonly rows: number };

/** Run settings, resolved (docs/ARCHITECTURE.md, "Tries"). Every field is set. */
export interface RunSettings {
  /** Files per mini-batch; for tabular data, rows or bytes. @default 10 files / 1MB tabular */
  readonly miniBatchSize: MiniBatchSize;
  /** Worker processes per machine. @default CPU count */
  readonly processCountPerNode: number;
  /** Machines expected (redis backend). @default 1 */
  readonly nodeCount: number;
  /** One `run()` longer than this is killed with its process; a failed try. @default 60 s */
  readonly runInvocationTimeoutMs: number;
  /** Tries of a mini-batch whose `run()` raised, timed out or crashed. @default 3 */
  readonly runMaxTry: number;
  /** Failed items tolerated; -1 ignores. @default -1 */
  readonly errorThreshold: number;
  /** Failed mini-batches tolerated; null = no limit. @default null */
  readonly allowedFailedCount: number | null;
  /** Percent of failed mini-batches tolerated; null = no limit. @default null */
  readonly allowedFailedPercent: number | null;
  /** @default 'summary_only' */
  readonly outputAction: OutputAction;
  /** @default 'parallel_run_step.txt' ('parallel_run_step.parquet' with appendRowFormat parquet) */
  readonly appendRowFileName: string;
  /** @default 'txt' */
  readonly appendRowFormat: AppendRowFormat;
  /** @default 'INFO' */
  readonly loggingLevel: LoggingLevel;
  /** Added to the workers' environment. @default {} */
  readonly environmentVariables: Readonly<Record<string, string>>;
  /** An `init()` longer than this fails the worker's start. @default 3 × runInvocationTimeout + 30 s */
  readonly initTimeoutMs: number;
  /** The interpreter as configured (a command or path); resolved per machine to `sys.executable`. @default 'python3' */
  readonly python: string;
  /**
   * One mini-batch per distinct combination of these keys' values (fields of an MLTable's partition
   * format, for files), instead of `miniBatchSize`. @default [] (none)
   */
  readonly partitionKeys: readonly string[];
  /**
   * GPUs the worker slots share out (one device per slot when there are at least as many devices
   * as processes): found with `nvidia-smi -L`, none, or these device ids. @default detect
   */
  readonly gpus: GpuChoice;
  /**
   * Inputs read as tables, by input name: how each is read (docs/TABULAR.md). Names are as written
   * until binding, declared names after. @default {} (every input is a file dataset)
   */
  readonly inputFormat: Readonly<Record<string, TableRead>>;
}

export type GpuChoice =
  | { readonly kind: 'detect' }
  | { readonly kind: 'none' }
  | { readonly kind: 'devices'; readonly devices: readonly string[] };

export type SettingName = keyof RunSettings;
/** Where a setting's value came from; precedence is flag > job > spec > default. */
export type SettingSource = 'default' | 'spec' | 'job' | 'flag';

/** A module spec with everything bound: what a run executes. */
export interface ResolvedJob {
  readonly module: ModuleSpec;
  /** The job file this came from, if any. */
  readonly jobFile: string | null;
  /** Bound absolute paths of input ports (unset optional ports are absent). */
  readonly inputs: Readonly<Record<string, string>>;
  /** Values of parameters (an unset optional parameter without default is null). */
  readonly parameters: Readonly<Record<string, ParamValue | null>>;
  /** Absolute paths of every output (unbound ones default under the run directory). */
  readonly outputs: Readonly<Record<string, string>>;
  readonly settings: RunSettings;
  readonly settingSources: Readonly<Record<SettingName, SettingSource>>;
  /** The entry's arguments after the script path: rendered `args`, then `--output <outputData>`. */
  readonly entryArgs: readonly string[];
  /** Plan only the first N mini-batches (`--limit`); null = all. */
  readonly limit: number | null;
}
