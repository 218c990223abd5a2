/**
 * What survives `kill -9` (docs/ARCHITECTURE.md, "Run directory"): a child process plans and commits through the real Ledger;
 * the test kills it mid-way and reopens the file. Only whole transactions may be there: every
 * committed mini-batch has its try and its rows, nothing else has either, and commits land in whole
 * flushes.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/sqlite.js';
import { tempDir } from '../data/tree.js';
import { peek } from './helpers.js';

const TOTAL = 60_000;
/** Commits per flush in the child: whole flushes mean a multiple of this. */
const FLUSH = 7;
/**
 * The built ledger (`npm run build`, as for the CLI tests): transpiling the sources for the child
 * took over a minute on a loaded machine.
 */
const LEDGER = pathToFileURL(fileURLToPath(new URL('../../dist/ledger/sqlite.js', import.meta.url))).href;

let tmp: string;
let cleanup: () => void;
let child: string;

beforeAll(() => {
  ({ dir: tmp, cleanup } = tempDir());
  child = join(tmp, 'child.mjs');
  // Plans TOTAL one-file mini-batches in one go, then commits them in order, flushing every FLUSH
  // commits (never by the timer: the loop yields only when the buffer is empty); says when the
  // first flush is in, so that a kill however early finds commits to keep whole.
  writeFileSync(child, `
    import { Ledger } from ${JSON.stringify(LEDGER)};
    const runDir = process.argv[2];
    const ledger = Ledger.create(runDir, { flushIntervalMs: 60000, flushMaxCommits: ${FLUSH} });
    const batch = [];
    for (let i = 0; i < ${TOTAL}; i++) {
      batch.push({ index: i, input: 'data', key: 'k' + i, items: [{ path: '/data/f' + i, rel: 'f' + i, size: i, mtimeMs: 0 }], slice: null });
      if (batch.length === 5000) { ledger.addPlanned(batch); batch.length = 0; }
    }
    for (let i = 0; i < ${TOTAL}; i++) {
      ledger.enqueueCommit({
        try: { miniBatch: i, attempt: 1, worker: 'w', startedAt: i, durationMs: 1, outcome: 'succeeded',
               succeededItems: 1, failedItems: 0, exitCode: null, signal: null, error: null },
        status: 'succeeded',
        rows: { kind: 'lines', lines: ['row ' + i + ' ' + 'x'.repeat(200)] },
      });
      if (i + 1 === ${FLUSH}) process.stdout.write('committing\\n');
      if ((i + 1) % ${FLUSH * 10} === 0) await new Promise((r) => setImmediate(r));
    }
    process.stdout.write('done\\n');
  `);
});
afterAll(() => cleanup());

async function runAndKill(runDir: string, delayMs: number): Promise<string> {
  const proc = spawn(process.execPath, [child, runDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(`child exited early with ${code}: ${out}`)));
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('committing')) resolve();
    });
  });
  await sleep(delayMs);
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
  return out;
}

describe('a process killed with SIGKILL while committing', () => {
  it.each([5, 40, 150])('leaves only whole commits (killed %i ms after the first commit)', async (delayMs) => {
    const runDir = join(tmp, `run-${delayMs}`);
    const out = await runAndKill(runDir, delayMs);
    expect(out).not.toContain('done');

    const ledger = Ledger.open(runDir);
    const counts = ledger.counts();
    ledger.close();
    expect(counts.miniBatches).toBe(TOTAL);
    const [check] = peek<{ integrity_check: string }>(runDir, 'PRAGMA integrity_check');
    expect(check?.integrity_check).toBe('ok');

    const done = counts.succeeded;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(TOTAL);
    expect(done % FLUSH).toBe(0);
    expect(counts.tries).toBe(done);
    // Commits are in order: exactly the first `done` mini-batches, each with its try and its rows.
    const [agg] = peek<{ max_idx: number; rows: number; pending_with_rows: number }>(runDir, `
      SELECT (SELECT max(idx) FROM mini_batches WHERE status = 'succeeded') AS max_idx,
             (SELECT count(*) FROM rows) AS rows,
             (SELECT count(*) FROM rows r JOIN mini_batches m USING (idx) WHERE m.status = 'pending') AS pending_with_rows`);
    expect(agg).toEqual({ max_idx: done - 1, rows: done, pending_with_rows: 0 });
  });
});
