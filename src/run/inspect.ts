/**
 * Reading a run directory from outside (`status`, `runs`): its saved job, who drives it,
 * and its ledger, opened read-only so that it works beside a live run and never changes a thing.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RunDirConflictError } from '../core/errors.js';
import { Ledger } from '../ledger/sqlite.js';
import type { LedgerCounts } from '../ledger/types.js';
import { runPaths } from '../core/run-paths.js';
import type { RunView } from '../report/run-view.js';
import { recordedResult, runState } from './run-status.js';
import { liveLockOwner, readRunJson, type LockOwner, type RunJson } from './rundir.js';

/** A run directory as read from outside: what the reports read, with its whole saved job and lock owner. */
export interface RunSnapshot extends RunView {
  readonly runJson: RunJson;
  readonly owner: LockOwner | null;
}

const NO_COUNTS: LedgerCounts = {
  miniBatches: 0,
  items: 0,
  pending: 0,
  succeeded: 0,
  partial: 0,
  failed: 0,
  succeededItems: 0,
  failedItems: 0,
  tries: 0,
};

export function snapshotRun(dir: string, options: { readonly insight?: boolean } = {}): RunSnapshot {
  const paths = runPaths(resolve(dir));
  if (!existsSync(paths.root)) throw new RunDirConflictError(`${paths.root} does not exist`);
  const runJson = readRunJson(paths);
  const owner = liveLockOwner(paths);
  const empty: RunSnapshot = { paths, runJson, state: runState(owner, null), owner, counts: NO_COUNTS, planningDone: false, recorded: null, insight: null };
  // Stopped (or still starting) before its ledger existed: nothing planned yet.
  if (!existsSync(paths.stateDb)) return empty;
  let ledger: Ledger;
  try {
    ledger = Ledger.open(paths.root, { readonly: true });
  } catch (error) {
    // A live run creating its ledger this very moment: it has no tables yet.
    if (owner !== null && error instanceof RunDirConflictError) return empty;
    throw error;
  }
  try {
    const recorded = recordedResult(ledger);
    return {
      paths,
      runJson,
      state: runState(owner, recorded),
      owner,
      counts: ledger.counts(),
      planningDone: ledger.planningDone(),
      recorded,
      insight: options.insight === true ? ledger.insight() : null,
    };
  } finally {
    ledger.close();
  }
}

/** Run directories under `runsRoot` (those holding a run.json), oldest first. */
export function listRunDirs(runsRoot: string): string[] {
  if (!existsSync(runsRoot)) return [];
  const dirs = readdirSync(runsRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(runsRoot, e.name, 'run.json')))
    .map((e) => join(runsRoot, e.name));
  const created = new Map(dirs.map((d) => [d, createdAt(d)] as const));
  return dirs.sort((a, b) => (created.get(a) ?? 0) - (created.get(b) ?? 0) || a.localeCompare(b));
}

/** When the run was created: run.json's `createdAt`, else the file's time. */
function createdAt(dir: string): number {
  try {
    const time = Date.parse(readRunJson(runPaths(dir)).createdAt);
    if (!Number.isNaN(time)) return time;
  } catch {
    // An unreadable run.json sorts by its file's time.
  }
  return statSync(join(dir, 'run.json')).mtimeMs;
}
