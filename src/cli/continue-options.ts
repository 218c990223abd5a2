/**
 * The flags of `resume` and `retry-failed` : the settings that do not change what a run
 * means. The others are declared too, hidden from help, so that giving one is refused with a reason
 * instead of commander's bare "unknown option".
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { parseProcesses } from '../redis/connection/cli-options.js';
import { CONTINUE_SETTINGS } from '../run/overrides.js';
import type { RunSettings } from '../spec/types.js';
import { parseJobFlags, SETTING_FLAGS, type JobOptions } from './options.js';

export interface ContinueCliOptions extends JobOptions {
  /** commander's `--no-progress`: false when given. */
  readonly progress: boolean;
  /** A run on Redis: its server given again (`redis://…`, or `redis` for MINIBATCH_REDIS_URL). */
  readonly backend?: string;
}

/** What a continued run may change, parsed from its flags. */
export interface ContinueChoices {
  /** Settings in `CONTINUE_SETTINGS` (`--processes` among them when 1 or more). */
  readonly overrides: Partial<RunSettings>;
  /** `--processes` as given, 0 included (a run on Redis: no Python on this machine); null when absent. */
  readonly processes: number | null;
  /** `--backend` as given. */
  readonly backend: string | undefined;
}

const collect = (value: string, previous: readonly string[]): string[] => [...previous, value];

/** Flags a continued run refuses besides the settings outside `CONTINUE_SETTINGS`. */
const BINDING_FLAGS = [
  { flags: '--input <NAME=PATH>', option: 'input' },
  { flags: '--param <NAME=VALUE>', option: 'param' },
  { flags: '--output <NAME=PATH>', option: 'output' },
  { flags: '--env <KEY=VALUE>', option: 'env' },
] as const;

export function addContinueOptions(command: Command): Command {
  for (const flag of SETTING_FLAGS) {
    const option = new Option(flag.flags, flag.help);
    if (!CONTINUE_SETTINGS.has(flag.setting)) option.hideHelp();
    command.addOption(option);
  }
  for (const flag of BINDING_FLAGS) {
    command.addOption(new Option(flag.flags).hideHelp().argParser(collect).default([]));
  }
  command.addOption(new Option('--limit <n>').hideHelp());
  return command
    .option('--no-progress', 'print progress lines instead of a bar, even on a terminal')
    .option('--backend <url>', 'a run on Redis: its server again (redis://… with a password, or at a new address)');
}

/**
 * The settings given on the command line, checked. Throws one `UsageError` naming every flag that
 * would change the run's meaning (its module, bindings, mini-batches or outputs). Whether the run
 * may take `--processes 0` or `--backend` is for the run directory to say (continue-run.ts).
 */
export function continueChoices(command: string, opts: ContinueCliOptions): ContinueChoices {
  const refused: string[] = [];
  for (const flag of BINDING_FLAGS) if (opts[flag.option].length > 0) refused.push(flagName(flag.flags));
  for (const flag of SETTING_FLAGS) {
    if (!CONTINUE_SETTINGS.has(flag.setting) && opts[flag.option] !== undefined) refused.push(flagName(flag.flags));
  }
  if (opts.limit !== undefined) refused.push('--limit');
  if (refused.length > 0) {
    const accepted = SETTING_FLAGS.filter((f) => CONTINUE_SETTINGS.has(f.setting)).map((f) => flagName(f.flags));
    throw new UsageError(
      `${command} continues a run with the module, bindings, environment, mini-batches and outputs it was planned with; ` +
        `${refused.join(', ')} would change them. Start a new run (\`minibatch run\`) to run it differently. ` +
        `${command} accepts: ${accepted.join(', ')}, --no-progress, --backend`,
    );
  }
  // 0 is a Redis run's own share, not a setting of the run (as with `run --backend`).
  const processes = parseProcesses(opts.processes, true);
  const settingFlags = processes === 0 ? { ...opts, processes: undefined } : opts;
  const overrides = parseJobFlags({ ...settingFlags, input: [], param: [], output: [], env: [] }).settings;
  return { overrides, processes, backend: opts.backend };
}

function flagName(flags: string): string {
  return flags.split(' ')[0] ?? flags;
}
