/**
 * A job as a program describes it: typed options instead of command-line strings, resolved into
 * the same `ResolvedJob` as `minibatch run` builds from flags. The options take the place of the
 * flags: they override a job file, which overrides the module spec, which overrides the defaults.
 */
import { UsageError } from '../core/errors.js';
import type { Diagnostic } from '../core/errors.js';
import { bindJob } from './bind.js';
import type { FlagBindings } from './bind.js';
import type { Binding } from './job.js';
import { SETTING_KEYS, SETTING_NAMES, SETTING_PARSERS } from './settings.js';
import { resolveInterpreterPath } from './settingsMapping.js';
import { loadTarget } from './target.js';
import type { AppendRowFormat, LoggingLevel, OutputAction, ParamValue, ResolvedJob, RunSettings, SettingName } from './types.js';

/**
 * A duration: a number of **milliseconds**, or a text such as `'90s'`, `'1.5s'`, `'500ms'`, `'5m'`
 * (a bare number in a text, `'90'`, is seconds, as in a module spec).
 */
export type Duration = number | string;

/**
 * Run settings, each named as in a module spec's `settings:`. Unset ones come from the job file,
 * then the module spec, then the default.
 */
export interface JobSettings {
  /**
   * Items (files) per mini-batch, or a size per mini-batch for tabular data such as `'1MB'`.
   * @default 10
   */
  readonly miniBatchSize?: number | string;
  /**
   * Worker processes on this machine.
   * @default the number of CPUs (`os.availableParallelism()`)
   */
  readonly processCountPerNode?: number;
  /**
   * Machines expected; only the Redis backend uses more than one.
   * @default 1
   */
  readonly nodeCount?: number;
  /**
   * The longest one `run()` call may take before its worker is stopped and the try counts as timed out.
   * @default 60_000 (60 s)
   */
  readonly runInvocationTimeout?: Duration;
  /**
   * The longest `init()` may take.
   * @default 3 × runInvocationTimeout + 30 s
   */
  readonly initTimeout?: Duration;
  /**
   * Tries of a mini-batch whose `run()` raised, timed out or crashed its worker.
   * @default 3
   */
  readonly runMaxTry?: number;
  /**
   * Failed items tolerated before the run fails; -1 ignores failed items.
   * @default -1
   */
  readonly errorThreshold?: number;
  /**
   * Failed mini-batches tolerated before the run fails; -1 means no limit.
   * @default -1 (no limit)
   */
  readonly allowedFailedCount?: number;
  /**
   * Percent (0–100) of failed mini-batches tolerated; -1 means no limit.
   * @default -1 (no limit)
   */
  readonly allowedFailedPercent?: number;
  /**
   * `append_row` collects what each `run()` returns into one rows file; `summary_only` keeps none.
   * @default 'summary_only'
   */
  readonly outputAction?: OutputAction;
  /**
   * The rows file's name, written in the `outputData` folder.
   * @default 'parallel_run_step.txt' ('parallel_run_step.parquet' with appendRowFormat parquet)
   */
  readonly appendRowFileName?: string;
  /**
   * The rows file's format.
   * @default 'txt'
   */
  readonly appendRowFormat?: AppendRowFormat;
  /**
   * The level of the entry script's `logging`.
   * @default 'INFO'
   */
  readonly loggingLevel?: LoggingLevel;
  /**
   * Extra environment variables for the entry script, added to the module spec's.
   * @default {}
   */
  readonly environmentVariables?: Readonly<Record<string, string>>;
}

/** What names a job: its module (or job file), its bindings and its settings. */
export interface ResolveJobOptions {
  /**
   * A module spec (`module.yaml`), or a job file (a top-level `module:` key) that names one and may
   * bind inputs, parameters, outputs and settings. Relative to `cwd`.
   */
  readonly spec: string;
  /**
   * A path for each input port, by name as declared (`'Data Input 1'`) or in snake_case
   * (`data_input_1`). Relative paths are relative to `cwd`.
   * @default {} (the job file's, or none)
   */
  readonly inputs?: Readonly<Record<string, string>>;
  /**
   * A value for each parameter, by name as declared or in snake_case; converted to the declared
   * type (`'4'` or `4` for an Integer) and checked against its options, min and max.
   * @default {} (the job file's, else each parameter's default)
   */
  readonly params?: Readonly<Record<string, ParamValue>>;
  /**
   * A folder for each output, by name as declared or in snake_case; made when missing.
   * @default `<runDir>/outputs/<snake_case name>` for each output not bound here or in the job file
   */
  readonly outputs?: Readonly<Record<string, string>>;
  /**
   * Run settings over the job file's and the module spec's.
   * @default {}
   */
  readonly settings?: JobSettings;
  /**
   * The Python interpreter of the workers: a command looked up on PATH (`'python3'`) or a path
   * (relative to `cwd`).
   * @default the job file's `python`, else the spec's `amlEnvironment.python.interpreterPath`, else `'python3'`
   */
  readonly python?: string;
  /**
   * Plan only the first `limit` mini-batches (a trial run).
   * @default all mini-batches
   */
  readonly limit?: number;
  /**
   * What relative paths in these options are relative to (paths in a job file are relative to it).
   * @default process.cwd()
   */
  readonly cwd?: string;
}

/** The name of each setting in `JobSettings` (its YAML key), and the `RunSettings` field it sets. */
const SETTING_BY_KEY = new Map<string, SettingName>(SETTING_NAMES.filter((n) => n !== 'python').map((n) => [SETTING_KEYS[n], n]));

/**
 * `options` as a `ResolvedJob`. `runDir` is where unbound outputs go (nothing is created). Throws
 * `UsageError` listing every bad binding or setting, or `SpecError` (the spec or job file);
 * returns the files' warnings and notes.
 */
export async function resolveJob(
  options: ResolveJobOptions,
  runDir: string,
): Promise<{ job: ResolvedJob; diagnostics: readonly Diagnostic[] }> {
  const cwd = options.cwd ?? process.cwd();
  const flags = optionBindings(options, cwd);
  const { spec, job, diagnostics } = await loadTarget(options.spec, cwd);
  return { job: await bindJob({ spec, job, flags, runDir }), diagnostics };
}

/** The options as the binding layer above the job file. Throws one `UsageError` listing every bad setting. */
function optionBindings(options: ResolveJobOptions, cwd: string): FlagBindings {
  const problems: string[] = [];
  const bindings = (kind: 'inputs' | 'params' | 'outputs'): Binding[] =>
    Object.entries(options[kind] ?? {}).map(([name, value]: [string, ParamValue]) => ({
      name,
      value,
      text: String(value),
      origin: `${kind}[${JSON.stringify(name)}]`,
      baseDir: cwd,
    }));

  const settings: Partial<Record<SettingName, unknown>> = {};
  for (const [key, raw] of Object.entries(options.settings ?? {}) as [string, unknown][]) {
    if (raw === undefined) continue;
    const name = SETTING_BY_KEY.get(key);
    if (name === undefined) {
      problems.push(`settings.${key} is not a setting; the settings are ${[...SETTING_BY_KEY.keys()].join(', ')}`);
      continue;
    }
    // A number of milliseconds is written with its unit, so the module spec's parser (where a bare
    // number is seconds) reads it right.
    const isDuration = name === 'runInvocationTimeoutMs' || name === 'initTimeoutMs';
    const parsed = SETTING_PARSERS[name](isDuration && typeof raw === 'number' ? `${raw}ms` : raw);
    if (parsed.ok) settings[name] = parsed.value;
    else problems.push(`settings.${key} ${parsed.problem}`);
  }
  if (options.python !== undefined) {
    const parsed = SETTING_PARSERS.python(options.python);
    if (parsed.ok) settings.python = resolveInterpreterPath(parsed.value, cwd);
    else problems.push(`python ${parsed.problem}`);
  }
  const limit = options.limit ?? null;
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 1)) {
    problems.push(`limit must be a whole number of mini-batches, 1 or more; found ${String(limit)}`);
  }
  if (problems.length > 0) {
    throw new UsageError(problems.length === 1 ? (problems[0] ?? '') : `${problems.length} options are wrong:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return {
    inputs: bindings('inputs'),
    parameters: bindings('params'),
    outputs: bindings('outputs'),
    settings: settings as Partial<RunSettings>,
    limit,
  };
}
