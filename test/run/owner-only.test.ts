/**
 * A run directory is its owner's alone: every file minibatch (or its worker host) writes there is
 * 0600 and every folder 0700, the ledger's -wal and -shm included while the run is live; the
 * outputs are the user's data and keep the user's umask.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cli, committedIn, expectExit, fileNames, makeJob } from './helpers.js';

/** `path (mode)` of every file and folder under `dir` whose mode lets anyone but its owner in, outputs/ aside. */
function notOwnerOnly(dir: string): string[] {
  const loose: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (relative(dir, path) === 'outputs') continue;
      const mode = statSync(path).mode & 0o777;
      const expected = entry.isDirectory() ? 0o700 : 0o600;
      if (mode !== expected) loose.push(`${relative(dir, path)} (${mode.toString(8)})`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return loose;
}

describe('the files of a run directory', () => {
  it('are 0600 and its folders 0700, live and after the run (a failed try, the entry log, the ledger and its WAL)', async () => {
    const job = makeJob(mkdtempSync(join(tmpdir(), 'minibatch-modes-')), { files: [...fileNames(4), 'bad.txt'], miniBatchSize: 1 });
    const runDir = join(job.root, 'run');
    writeFileSync(job.hold, '');
    const running = cli(job.runArgs(runDir, ['--env', 'HOLD_FROM=3', '--run-max-try', '1']));
    for (let i = 0; i < 3000 && committedIn(runDir).size < 3; i++) await sleep(20);
    const live = readdirSync(runDir);
    expect(live).toEqual(expect.arrayContaining(['state.db', 'state.db-wal', 'state.db-shm', 'run.json', 'run.lock', 'run.owner']));
    expect(notOwnerOnly(runDir)).toEqual([]);
    rmSync(job.hold);
    const ended = await running;
    expectExit(ended, 0);
    expect(readdirSync(join(runDir, 'logs'))).toEqual(expect.arrayContaining(['job_error.txt', 'job_result.txt', 'job_progress_overview.txt', 'readme.txt']));
    expect(notOwnerOnly(runDir)).toEqual([]);
    // The outputs keep the user's umask (022 here: readable by others, as files they make are).
    expect(statSync(join(runDir, 'outputs', 'out', 'parallel_run_step.txt')).mode & 0o777).toBe(0o644 & ~process.umask());
  });
});
