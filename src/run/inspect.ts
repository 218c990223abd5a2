/**
 * Reading a run directory from outside (`status`, `runs`): its saved job, who drives it,
 * and its ledger, opened read-only so that it works beside a live run and never changes a thing.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { knownRuns } from '../core/known-runs.js';
import { RunDirConflictError } from '../core/errors.js';
import { Ledger } from '../ledger/sqlite.js';
import type { LedgerCounts } from '../ledger/types.js';
import { runPaths } from '../core/run-paths.js';
import type { RunView } from '../report/run-view.js';
import { recordedResult, runState } from './run-status.js';
import { lockHolder, type LockOwner } from './run-lock.js';
import { readRunJson, type RunJson } from './rundir.js';
import { runsInProgress } from '../workers/run-state.js';

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
  const owner = lockHolder(paths);
  const empty: RunSnapshot = {
    paths,
    runJson,
    state: runState(owner, null),
    owner,
    counts: NO_COUNTS,
    planningDone: false,
    recorded: null,
    runningTries: null,
    insight: null,
  };
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
    const state = runState(owner, recorded);
    return {
      paths,
      runJson,
      state,
      owner,
      counts: ledger.counts(),
      runningTries: state === 'running' && runJson.backend === undefined ? runsInProgress(paths.workersDir) : null,
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

/**
 * The runs of the folder `cwd`, oldest first: those under its `.minibatch/runs` (`runsRoot`), and
 * the remembered ones (`--run-dir` anywhere) that are under it or whose module or job file is.
 * With `all`, every remembered run.
 */
export function runDirsOf(cwd: string, runsRoot: string, all = false): string[] {
  const dirs = new Set(listRunDirs(runsRoot));
  for (const dir of knownRuns()) {
    if (dirs.has(dir)) continue;
    if (all || inside(cwd, dir) || madeFrom(cwd, dir)) dirs.add(dir);
  }
  const created = new Map([...dirs].map((d) => [d, createdAt(d)] as const));
  return [...dirs].sort((a, b) => (created.get(a) ?? 0) - (created.get(b) ?? 0) || a.localeCompare(b));
}

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}

/** The run's module (or job file) lives under `cwd`: it is this project's run. */
function madeFrom(cwd: string, dir: string): boolean {
  try {
    const { job } = readRunJson(runPaths(dir));
    return inside(cwd, job.module.sourceDir) || (job.jobFile !== null && inside(cwd, job.jobFile));
  } catch {
    return false; // unreadable: shown under its own folder only
  }
}
