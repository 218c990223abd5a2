/**
 * What the reports of a finished or live run (`status`, `runs`) read of it. Declared here, beside the
 * reports, so that report/ needs nothing from run/: run/inspect.ts builds a snapshot that has at least
 * these fields (docs/ARCHITECTURE.md, "Layers").
 */
import type { RunPaths } from '../core/run-paths.js';
import type { LedgerInsight } from '../ledger/insight.js';
import type { LedgerCounts } from '../ledger/types.js';
import type { JobResult } from './result.js';

/**
 * A run directory's status. `running`: a live process holds the lock. `killed`: no process holds it
 * and no outcome was recorded (killed, crashed, the machine stopped). The others are the recorded
 * outcome.
 */
export type RunDirStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'killed';

export interface RunView {
  readonly paths: RunPaths;
  readonly runJson: {
    readonly runId: string;
    readonly createdAt: string;
    readonly job: { readonly module: { readonly name: string; readonly version: string } };
  };
  readonly state: RunDirStatus;
  /** The live process driving the run, if any. */
  readonly owner: { readonly pid: number; readonly host: string; readonly since: string } | null;
  readonly counts: LedgerCounts;
  /** False while planning lists (live) or when a crash cut it short. */
  readonly planningDone: boolean;
  readonly recorded: JobResult | null;
  /**
   * Tries whose `run()` is under way, by the workers' run-state files: a live run on this machine
   * only (a Redis run's workers are elsewhere); null otherwise.
   */
  readonly runningTries: number | null;
  /** Only when asked for (`status`). */
  readonly insight: LedgerInsight | null;
}
