/**
 * The runs the web view can see: those under `<dir>/.minibatch/runs` and those this user started
 * elsewhere (known-runs.ts), each once, and their rows in the runs list. A run is known by its id;
 * two folders with one id (a copied run directory) are told apart by a suffix.
 */
import { basename, join, resolve } from 'node:path';
import { knownRuns } from '../../core/known-runs.js';
import { listRunDirs, snapshotRun } from '../../run/inspect.js';
import type { RunRow } from './view.js';

/** Run id → run directory. */
export function discoverRuns(dir: string, env: Readonly<Record<string, string | undefined>> = process.env): Map<string, string> {
  const dirs = [...listRunDirs(join(resolve(dir), '.minibatch', 'runs')), ...knownRuns(env)];
  const byId = new Map<string, string>();
  const seen = new Set<string>();
  for (const d of dirs) {
    if (seen.has(d)) continue;
    seen.add(d);
    let id = basename(d);
    for (let n = 2; byId.has(id); n++) id = `${basename(d)}~${n}`;
    byId.set(id, d);
  }
  return byId;
}

export function runRow(id: string, runDir: string, now: number = Date.now()): RunRow {
  try {
    const s = snapshotRun(runDir, { insight: true });
    const c = s.counts;
    const first = s.insight?.firstStartedAt ?? null;
    const last = s.state === 'running' ? now : (s.insight?.lastEndedAt ?? null);
    return {
      id,
      runDir,
      module: `${s.runJson.job.module.name} ${s.runJson.job.module.version}`,
      state: s.state,
      createdAt: s.runJson.createdAt,
      durationMs: first === null || last === null ? null : Math.max(0, last - first),
      miniBatches: { total: c.miniBatches, done: c.succeeded + c.partial + c.failed, failed: c.failed + c.partial },
      items: { total: c.items, done: c.succeededItems + c.failedItems, failed: c.failedItems },
      problem: null,
    };
  } catch (error) {
    // One unreadable run directory must not hide the others.
    return {
      id,
      runDir,
      module: '?',
      state: 'unreadable',
      createdAt: '',
      durationMs: null,
      miniBatches: { total: 0, done: 0, failed: 0 },
      items: { total: 0, done: 0, failed: 0 },
      problem: error instanceof Error ? error.message : String(error),
    };
  }
}
