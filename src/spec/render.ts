/**
 * What the entry script receives (docs/ARCHITECTURE.md, "Entry script"): its argv (rendered `args`, then
 * `--output <outputData path>`) as an array, never a shell string, and its environment. Plus
 * shell quoting, for showing a command a user can copy (never for running one).
 */
import type { ArgTemplate, ModuleSpec, ParamValue, ResolvedJob } from './types.js';

/** Bound values, by declared name. */
export interface Bound {
  /** Paths of bound input ports; an unset optional port is absent. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Every parameter; null when optional, unset and without default. */
  readonly parameters: Readonly<Record<string, ParamValue | null>>;
  readonly outputs: Readonly<Record<string, string>>;
}

/**
 * Renders `args`: `{inputPath: N}` → N's path, `{inputValue: N}` → N's value, `{outputPath: N}` →
 * N's path; an optional group is dropped whole when one of its placeholders names an input that
 * is unset (a port not bound, a parameter with neither value nor default).
 */
export function renderArgs(args: readonly ArgTemplate[], bound: Bound): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (arg.kind === 'group') {
      const items = arg.items.map((item) => renderOne(item, bound));
      if (items.every((item) => item !== null)) out.push(...items);
      continue;
    }
    const value = renderOne(arg, bound);
    if (value === null) {
      // Validation only lets optional inputs into groups, and binding fills every required one.
      throw new Error(`internal error: args placeholder ${JSON.stringify(arg)} has no value outside an optional group`);
    }
    out.push(value);
  }
  return out;
}

function renderOne(arg: ArgTemplate, bound: Bound): string | null {
  switch (arg.kind) {
    case 'literal':
      return arg.value;
    case 'inputPath':
      return bound.inputs[arg.name] ?? null;
    case 'inputValue': {
      const value = bound.parameters[arg.name];
      return value === null || value === undefined ? null : formatParamValue(value);
    }
    case 'outputPath':
      return bound.outputs[arg.name] ?? null;
    case 'group':
      throw new Error('internal error: nested optional group');
  }
}

/** The entry's `sys.argv[1:]`: rendered args, then `--output <outputData path>` (docs/ARCHITECTURE.md, "Entry script"). */
export function renderEntryArgs(spec: ModuleSpec, bound: Bound): string[] {
  const output = bound.outputs[spec.outputData];
  if (output === undefined) throw new Error(`internal error: outputData \`${spec.outputData}\` is not bound`);
  return [...renderArgs(spec.args, bound), '--output', output];
}

/** A parameter as text on a command line: booleans as `true`/`false`, as a spec writes them. */
export function formatParamValue(value: ParamValue): string {
  return String(value);
}

/** The full command line: interpreter, entry script, its args. */
export function entryCommand(job: ResolvedJob, interpreter: string): string[] {
  return [interpreter, job.module.entry, ...job.entryArgs];
}

/** Variables minibatch sets for the entry; the user's `environmentVariables` cannot replace these. */
export const RESERVED_ENV = ['AZUREML_BI_OUTPUT_PATH', 'MINIBATCH_RUN_ID', 'MINIBATCH_WORKER_ID', 'MINIBATCH_WORKER_SLOT'] as const;

/**
 * The variables the entry gets on top of the inherited environment (docs/ARCHITECTURE.md, "Entry script"), in display order.
 * `environmentVariables` may set `PYTHONFAULTHANDLER` but not the run's identity.
 */
export function entryEnvironment(
  job: ResolvedJob,
  ids: { readonly runId: string; readonly workerId: string; readonly slot: number | string },
): Record<string, string> {
  const env: Record<string, string> = {
    AZUREML_BI_OUTPUT_PATH: job.outputs[job.module.outputData] ?? '',
    MINIBATCH_RUN_ID: ids.runId,
    MINIBATCH_WORKER_ID: ids.workerId,
    MINIBATCH_WORKER_SLOT: String(ids.slot),
    PYTHONFAULTHANDLER: '1',
  };
  for (const [name, value] of Object.entries(job.settings.environmentVariables)) {
    if (!(RESERVED_ENV as readonly string[]).includes(name)) env[name] = value;
  }
  return env;
}

const SAFE = /^[A-Za-z0-9_\-+=.,/:@%^]+$/;

/** `arg` quoted for a POSIX shell, only when it needs it: `'Data Input 1'`, `'it'\''s'`. */
export function shellQuote(arg: string): string {
  if (SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
