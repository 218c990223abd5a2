/**
 * Settings a continued run may change: `resume` and `retry-failed` run the job saved in
 * `run.json`, with flags for what does not change its meaning (processes, timeouts, tries,
 * thresholds, logging, the interpreter). What depends on the machine is resolved again here.
 */
import { availableParallelism } from 'node:os';
import type { ResolvedJob, RunSettings, SettingName, SettingSource } from '../spec/types.js';

/** The settings `resume` and `retry-failed` accept; the rest would change what the run means. */
export const CONTINUE_SETTINGS: ReadonlySet<SettingName> = new Set<SettingName>([
  'processCountPerNode',
  'nodeCount',
  'runInvocationTimeoutMs',
  'initTimeoutMs',
  'runMaxTry',
  'errorThreshold',
  'allowedFailedCount',
  'allowedFailedPercent',
  'loggingLevel',
  'python',
]);

/**
 * The saved job with `overrides` applied (each becomes a `flag` setting). A CPU count that was
 * the default is this machine's; an init timeout that was the default follows the run timeout.
 */
export function overrideSettings(job: ResolvedJob, overrides: Partial<RunSettings>): ResolvedJob {
  const settings: Record<string, unknown> = { ...job.settings };
  const sources: Record<SettingName, SettingSource> = { ...job.settingSources };
  for (const [name, value] of Object.entries(overrides) as [SettingName, unknown][]) {
    if (value === undefined) continue;
    if (!CONTINUE_SETTINGS.has(name)) throw new Error(`overrideSettings: ${name} cannot change in a continued run`);
    settings[name] = value;
    sources[name] = 'flag';
  }
  // docs/ARCHITECTURE.md, "Run directory": the CPU count is resolved again on each machine.
  if (sources.processCountPerNode === 'default') settings.processCountPerNode = availableParallelism();
  if (sources.initTimeoutMs === 'default') settings.initTimeoutMs = 3 * (settings.runInvocationTimeoutMs as number) + 30_000;
  return { ...job, settings: settings as unknown as RunSettings, settingSources: sources };
}
