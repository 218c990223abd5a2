/**
 * The flags that bind a job and override its settings, shared by `explain` and `run` :
 * `addJobOptions` declares them on a command, `resolveJobFromCli` turns a target (a module spec or
 * a job file) and those flags into a `ResolvedJob`. Flag values are checked here, all at once, so a
 * user sees every mistake in one go.
 */
import { Option, type Command } from 'commander';
import { formatDiagnostic, UsageError } from '../core/errors.js';
import type { Diagnostic } from '../core/errors.js';
import { bindJob } from '../spec/bind.js';
import type { FlagBindings } from '../spec/bind.js';
import type { Binding } from '../spec/job.js';
import { shellQuote } from '../spec/render.js';
import { SETTING_PARSERS } from '../spec/settings.js';
import { resolveInterpreterPath } from '../spec/settingsMapping.js';
import { azureFormat } from '../spec/azure/load.js';
import { readYamlFile } from '../spec/load.js';
import { loadTarget } from '../spec/target.js';
import type { ResolvedJob, RunSettings, SettingName } from '../spec/types.js';

/** What commander hands the action for the flags `addJobOptions` declares. */
export interface JobOptions {
  readonly input: readonly string[];
  readonly param: readonly string[];
  readonly output: readonly string[];
  /** `--input-format NAME=csv,delimiter=;`: read that input as a table. */
  readonly inputFormat?: readonly string[];
  readonly env: readonly string[];
  readonly miniBatchSize?: string;
  readonly processes?: string;
  readonly nodes?: string;
  readonly runInvocationTimeout?: string;
  readonly initTimeout?: string;
  readonly runMaxTry?: string;
  readonly errorThreshold?: string;
  readonly allowedFailedCount?: string;
  readonly allowedFailedPercent?: string;
  readonly outputAction?: string;
  readonly appendRowFileName?: string;
  readonly appendRowFormat?: string;
  readonly loggingLevel?: string;
  readonly python?: string;
  readonly partitionKeys?: string;
  readonly gpus?: string;
  readonly limit?: string;
  /** `--node`: which parallel node of an Azure ML pipeline to run. */
  readonly node?: string;
}

type SettingFlag = {
  readonly flags: string;
  readonly option: keyof JobOptions;
  readonly setting: SettingName;
  readonly help: string;
};

/** One flag per run setting (except environmentVariables, which is `--env`, repeatable). */
export const SETTING_FLAGS: readonly SettingFlag[] = [
  { flags: '--mini-batch-size <size>', option: 'miniBatchSize', setting: 'miniBatchSize', help: 'files per mini-batch; for tables bytes (1MB, 512KB, a bare number) or rows (1000rows) (default: 10 files, 1MB)' },
  { flags: '--processes <n>', option: 'processes', setting: 'processCountPerNode', help: 'worker processes per machine (default: CPU count)' },
  { flags: '--nodes <n>', option: 'nodes', setting: 'nodeCount', help: 'machines expected, redis backend (default: 1)' },
  { flags: '--run-invocation-timeout <duration>', option: 'runInvocationTimeout', setting: 'runInvocationTimeoutMs', help: 'longest run() call: 90, 90s, 1.5s, 500ms, 5m (default: 60s)' },
  { flags: '--init-timeout <duration>', option: 'initTimeout', setting: 'initTimeoutMs', help: 'longest init() (default: 3 × run-invocation-timeout + 30s)' },
  { flags: '--run-max-try <n>', option: 'runMaxTry', setting: 'runMaxTry', help: 'tries of a mini-batch that raised, timed out or crashed (default: 3)' },
  { flags: '--error-threshold <n>', option: 'errorThreshold', setting: 'errorThreshold', help: 'failed items tolerated; -1 ignores (default: -1)' },
  { flags: '--allowed-failed-count <n>', option: 'allowedFailedCount', setting: 'allowedFailedCount', help: 'failed mini-batches tolerated (default: no limit)' },
  { flags: '--allowed-failed-percent <percent>', option: 'allowedFailedPercent', setting: 'allowedFailedPercent', help: 'percent of failed mini-batches tolerated (default: no limit)' },
  { flags: '--output-action <action>', option: 'outputAction', setting: 'outputAction', help: 'summary_only or append_row (default: summary_only)' },
  { flags: '--append-row-file-name <name>', option: 'appendRowFileName', setting: 'appendRowFileName', help: 'file of collected rows (default: parallel_run_step.txt, .parquet for parquet)' },
  { flags: '--append-row-format <format>', option: 'appendRowFormat', setting: 'appendRowFormat', help: 'txt, csv, jsonl or parquet (default: txt)' },
  { flags: '--logging-level <level>', option: 'loggingLevel', setting: 'loggingLevel', help: 'DEBUG, INFO or WARNING (default: INFO)' },
  { flags: '--partition-keys <keys>', option: 'partitionKeys', setting: 'partitionKeys', help: 'one mini-batch per combination of these keys, e.g. Store,Brand (columns of a table, or fields of an MLTable partition format) (default: none)' },
  { flags: '--gpus <ids>', option: 'gpus', setting: 'gpus', help: 'GPUs for the worker slots: detect (nvidia-smi -L), none, or ids such as 0,1 (default: detect)' },
  { flags: '--python <interpreter>', option: 'python', setting: 'python', help: 'Python interpreter, a command or a path (default: amlEnvironment.python.interpreterPath, else python3)' },
];

const collect = (value: string, previous: readonly string[]): string[] => [...previous, value];

/**
 * Declares the binding flags, the setting flags `applies` keeps (every one by default), and
 * `--limit`, on `command`: a command offers only the settings it honours.
 */
export function addJobOptions(command: Command, applies: (setting: SettingName) => boolean = () => true): Command {
  command
    .addOption(repeatable('--input <NAME=PATH>', 'bind an input port (repeatable; NAME as declared, or snake_case)', 'the job file\'s'))
    .addOption(repeatable('--param <NAME=VALUE>', 'set a parameter (repeatable)', 'the job file\'s, else the spec\'s'))
    .addOption(repeatable('--output <NAME=PATH>', 'bind an output (repeatable)', 'the job file\'s, else <run-dir>/outputs/<name>'))
    .addOption(
      repeatable('--input-format <NAME=FORMAT>', 'read an input as a table: csv, tsv, jsonl or parquet, with options: csv,delimiter=;,header=no_header (repeatable)', 'files, not a table'),
    );
  for (const flag of SETTING_FLAGS) if (applies(flag.setting)) command.option(flag.flags, flag.help);
  command
    .addOption(repeatable('--env <KEY=VALUE>', 'add an environment variable for the entry script (repeatable)', 'none'))
    .option('--limit <n>', 'plan only the first N mini-batches (default: all)')
    .option('--node <name>', 'the parallel node to run, of an Azure ML pipeline (default: its only one)');
  return command;
}

/** A repeatable flag: its values gathered in a list, and its help naming what applies without it (not `[]`). */
function repeatable(flags: string, help: string, without: string): Option {
  return new Option(flags, help).argParser(collect).default([], without);
}

/**
 * Bindings, settings and limit from flags. Relative paths are relative to `cwd`. Throws one
 * `UsageError` listing every bad flag.
 */
export function parseJobFlags(opts: JobOptions, cwd: string = process.cwd(), barePaths = false): FlagBindings {
  const problems: string[] = [];
  const split = (flag: string, raw: string, what: string): Binding | null => {
    const eq = raw.indexOf('=');
    // A batch deployment takes `--input PATH` and `--output PATH`, as `az ml batch-endpoint invoke`
    // does: the name is left empty, for binding to give the only input or output.
    if (eq === -1 && barePaths && what === 'PATH') return { name: '', value: raw, text: raw, origin: `${flag} ${shellQuote(raw)}`, baseDir: cwd };
    const name = eq === -1 ? '' : raw.slice(0, eq).trim();
    if (name === '') {
      problems.push(`${flag} ${shellQuote(raw)} must be NAME=${what}, e.g. ${flag} 'Data Input 1=${what === 'PATH' ? './data' : what === 'FORMAT' ? 'csv' : 'value'}'`);
      return null;
    }
    const text = raw.slice(eq + 1);
    return { name, value: text, text, origin: `${flag} ${shellQuote(raw)}`, baseDir: cwd };
  };
  const bindings = (flag: string, raws: readonly string[], what: string): Binding[] =>
    raws.map((raw) => split(flag, raw, what)).filter((b): b is Binding => b !== null);

  const inputs = bindings('--input', opts.input, 'PATH');
  const parameters = bindings('--param', opts.param, 'VALUE');
  const outputs = bindings('--output', opts.output, 'PATH');
  const settings: Partial<Record<SettingName, unknown>> = {};
  for (const flag of SETTING_FLAGS) {
    const raw = opts[flag.option];
    if (typeof raw !== 'string') continue;
    const parsed = SETTING_PARSERS[flag.setting](raw);
    if (!parsed.ok) problems.push(`${flag.flags.split(' ')[0] ?? ''} ${parsed.problem}`);
    else settings[flag.setting] = flag.setting === 'python' ? resolveInterpreterPath(parsed.value as string, cwd) : parsed.value;
  }
  const env = Object.fromEntries(
    bindings('--env', opts.env, 'VALUE').map((b) => [b.name, b.text] as const),
  );
  if (opts.env.length > 0) {
    const parsed = SETTING_PARSERS.environmentVariables(env);
    if (parsed.ok) settings.environmentVariables = parsed.value;
    else problems.push(`--env ${parsed.problem}`);
  }
  const formats = bindings('--input-format', opts.inputFormat ?? [], 'FORMAT');
  if (formats.length > 0) {
    const parsed = SETTING_PARSERS.inputFormat(Object.fromEntries(formats.map((b) => [b.name, b.text] as const)));
    if (parsed.ok) settings.inputFormat = parsed.value;
    else problems.push(`--input-format ${parsed.problem}`);
  }
  let limit: number | null = null;
  if (opts.limit !== undefined) {
    limit = /^\s*\d+\s*$/.test(opts.limit) ? Number(opts.limit) : NaN;
    if (!Number.isSafeInteger(limit) || limit < 1) problems.push(`--limit must be a whole number of mini-batches, 1 or more; found \`${opts.limit}\``);
  }
  const result: FlagBindings = { inputs, parameters, outputs, settings: settings as Partial<RunSettings>, limit };
  if (problems.length > 0) {
    throw new UsageError(problems.length === 1 ? (problems[0] ?? '') : `${problems.length} flags are wrong:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return result;
}

/**
 * From a command line to a `ResolvedJob`: flags, then the target, then binding. `runDir` is where
 * unbound outputs go (nothing is created). Throws `UsageError` (flags, bindings) or `SpecError`
 * (the spec or job file); returns the warnings and notes to print.
 */
export async function resolveJobFromCli(
  target: string,
  opts: JobOptions,
  runDir: string,
  cwd: string = process.cwd(),
): Promise<{ job: ResolvedJob; diagnostics: readonly Diagnostic[] }> {
  const read = readYamlFile(target, 'module spec or job file', cwd);
  read.catch(() => undefined); // awaited by loadTarget, after the flags are checked
  // A batch deployment takes `--input PATH` and `--output PATH`, as `az ml batch-endpoint invoke` does.
  const deployment = await read.then((file) => azureFormat(file) === 'deployment', () => false);
  const flags = parseJobFlags(opts, cwd, deployment);
  const { spec, job, diagnostics } = await loadTarget(target, cwd, { node: opts.node ?? null }, read);
  try {
    return { job: await bindJob({ spec, job, flags, runDir }), diagnostics };
  } catch (error) {
    // What the file said it ignores or cannot read here explains most binding problems: say it first.
    if (error instanceof UsageError && diagnostics.length > 0) printDiagnosticsTo(diagnostics);
    throw error;
  }
}

function printDiagnosticsTo(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
}
