/** The table `minibatch runs` prints: one line per run, aligned columns. */
import type { RunView } from './run-view.js';

export interface RunsRow {
  readonly dir: string;
  readonly runId: string;
  readonly module: string;
  readonly createdAt: string;
  /** A `RunStatus`, or `unreadable`. */
  readonly state: string;
  /** e.g. `30/30 mini-batches, 2 failed`. */
  readonly counts: string;
}

export function runsRow(s: RunView): RunsRow {
  const c = s.counts;
  const done = c.succeeded + c.partial + c.failed;
  const failed = c.failed + c.partial;
  return {
    dir: s.paths.root,
    runId: s.runJson.runId,
    module: `${s.runJson.job.module.name} ${s.runJson.job.module.version}`,
    createdAt: s.runJson.createdAt,
    state: s.state,
    counts: `${done}/${c.miniBatches} mini-batches${failed > 0 ? `, ${failed} failed` : ''}${s.planningDone ? '' : ' (planning not done)'}`,
  };
}

export function formatRunsTable(rows: readonly RunsRow[]): string {
  const header: RunsRow = { dir: '', runId: 'RUN', module: 'MODULE', createdAt: 'STARTED', state: 'STATE', counts: 'PROGRESS' };
  const table = [header, ...rows];
  const width = (key: keyof RunsRow): number => Math.max(...table.map((r) => r[key].length));
  const cols: (keyof RunsRow)[] = ['runId', 'module', 'createdAt', 'state', 'counts'];
  const widths = cols.map(width);
  return table.map((r) => cols.map((k, i) => (i === cols.length - 1 ? r[k] : r[k].padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}
