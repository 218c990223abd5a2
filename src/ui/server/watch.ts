/**
 * When a run's page must be sent again: its ledger (and WAL) changed, its lock came or went, its
 * outcome or metrics were written, or, while it runs, a few seconds passed (its ETA and last
 * minute's throughput move with the clock). Comparing file sizes and times costs a few `stat`s,
 * where reading the view costs a pass over every try.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { runPaths } from '../../core/run-paths.js';

/** A live run's page is sent at least this often. */
const LIVE_REFRESH_MS = 5000;

export function changeSignature(runDir: string, now: number): string {
  const p = runPaths(runDir);
  const files = [p.runJson, p.stateDb, `${p.stateDb}-wal`, p.lockFile, p.jobResultJson, join(p.logs, 'metrics.jsonl')];
  const parts = files.map((f) => {
    try {
      const s = statSync(f);
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return '-';
    }
  });
  // The lock file exists while a process drives the run.
  if (parts[3] !== '-') parts.push(String(Math.floor(now / LIVE_REFRESH_MS)));
  return parts.join('|');
}
