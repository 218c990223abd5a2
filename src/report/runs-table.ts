/** `minibatch runs`: one entry per run (JSON with numbers), and the table a person reads. */
import { relative } from 'node:path';
import type { RunView } from './run-view.js';
import { formatWhen } from './when.js';

export interface RunsEntry {
  readonly dir: string;
  readonly runId: string;
  readonly module: { readonly name: string; readonly version: string } | null;
  /** ISO 8601, as run.json has it; '' when unreadable. */
  readonly createdAt: string;
  /** A `RunDirStatus`, or `unreadable`. */
  readonly state: string;
  readonly miniBatches: { readonly total: number; readonly done: number; readonly failed: number } | null;
  readonly items: { readonly total: number; readonly succeeded: number; readonly failed: number } | null;
  /** False while a live run still lists its inputs, or when a crash cut planning short. */
  readonly planningDone: boolean;
  /** Why the run directory cannot be read; null when it can. */
  readonly problem: string | null;
}

export function runsEntry(s: RunView): RunsEntry {
  const c = s.counts;
  return {
    dir: s.paths.root,
    runId: s.runJson.runId,
    module: { name: s.runJson.job.module.name, version: s.runJson.job.module.version },
    createdAt: s.runJson.createdAt,
    state: s.state,
    miniBatches: { total: c.miniBatches, done: c.succeeded + c.partial + c.failed, failed: c.failed + c.partial },
    items: { total: c.items, succeeded: c.succeededItems, failed: c.failedItems },
    planningDone: s.planningDone,
    problem: null,
  };
}

export function unreadableEntry(dir: string, runId: string, problem: string): RunsEntry {
  return { dir, runId, module: null, createdAt: '', state: 'unreadable', miniBatches: null, items: null, planningDone: false, problem };
}

/** Aligned columns; a run directory under `cwd` is shown relative to it. */
export function formatRunsTable(entries: readonly RunsEntry[], cwd: string, now: number = Date.now()): string {
  const header = ['RUN', 'MODULE', 'STARTED', 'STATE', 'PROGRESS', 'DIRECTORY'];
  const rows = entries.map((e) => [
    e.runId,
    e.module === null ? '?' : `${e.module.name} ${e.module.version}`,
    formatWhen(e.createdAt, now),
    e.state,
    progress(e),
    shortDir(e.dir, cwd),
  ]);
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  return table.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}

function progress(e: RunsEntry): string {
  if (e.miniBatches === null) return e.problem ?? '';
  const mb = e.miniBatches;
  return `${mb.done}/${mb.total} mini-batches${mb.failed > 0 ? `, ${mb.failed} failed` : ''}${e.planningDone ? '' : ' (planning not done)'}`;
}

function shortDir(dir: string, cwd: string): string {
  const rel = relative(cwd, dir);
  return rel === '' ? '.' : rel.startsWith('..') || rel.startsWith('/') ? dir : rel;
}
