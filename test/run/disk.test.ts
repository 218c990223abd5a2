/**
 * A full disk and a read-only output folder: the run fails with a message that says what
 * and what to do, and `resume` once it is fixed completes, losing nothing and running no committed
 * mini-batch again. CI runs as root, which `chmod` does not stop, so the tests mount small or
 * read-only tmpfs file systems. On a machine where `mount` is not permitted they are skipped with the
 * reason; in CI (`CI=true`) they fail instead, because a skipped suite would hide a broken promise.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsOf, cli, expectedRows, expectExit, fileNames, makeJob, rowsOf, type TestJob } from './helpers.js';

/** Why tmpfs cannot be mounted here, or null when it can. */
function mountProblem(): string | null {
  const probe = mkdtempSync(join(tmpdir(), 'minibatch-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return null;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return `mounting a tmpfs is not permitted here (${stderr || String(error)})`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const problem = mountProblem();
const suite = problem === null || process.env.CI === 'true' ? describe : describe.skip;
if (problem !== null && process.env.CI !== 'true') console.warn(`minibatch tests: skipping the full-disk tests: ${problem}`);

const mounted: string[] = [];
function mount(dir: string, options: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  mounted.push(dir);
}
function remount(dir: string, options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, dir]);
}

/** 24 files whose first lines are 4 KB: ~100 KB of rows, more than a 64 KB disk holds. */
const FILES = fileNames(24);
const BIG_LINE = 'x'.repeat(4096);

function bigJob(root: string): TestJob {
  const job = makeJob(root, { files: FILES, miniBatchSize: 4 });
  for (const name of FILES) writeFileSync(join(job.data, name), `content of ${name} ${BIG_LINE}\n`);
  return job;
}
const bigRows = (): string[] => expectedRows(FILES).map((row) => `${row} ${BIG_LINE}`);

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'minibatch-disk-'));
});
afterAll(() => {
  for (const dir of mounted.reverse()) execFileSync('umount', ['-l', dir]);
  rmSync(root, { recursive: true, force: true });
});

suite.concurrent('a full disk or a read-only output folder', () => {
  it('mount is permitted (CI must allow it, never skip)', () => {
    expect(problem).toBeNull();
  });

  it('a full output folder fails the run clearly; resume after freeing space completes it', async () => {
    const job = bigJob(join(root, 'full'));
    const out = join(job.root, 'out');
    mount(out, 'size=64k');
    const runDir = join(job.root, 'run');
    const failed = await cli(job.runArgs(runDir, ['--output', `Out=${out}`]));
    expectExit(failed, 1);
    expect(failed.stdout).toContain(`FAILED: Cannot write the rows file ${join(out, 'parallel_run_step.txt')}: the disk is full (ENOSPC)`);
    expect(failed.stdout).toContain(`minibatch resume ${runDir}`);
    expect(callsOf(job)).toHaveLength(6);

    remount(out, 'size=1m');
    const resumed = await cli(['resume', runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(resumed.stdout).toContain('6 of 6 mini-batches already committed');
    // Every row, once, in order; no mini-batch ran again.
    expect(readRows(out)).toEqual(bigRows());
    expect(callsOf(job)).toHaveLength(6);
  });

  it('a read-only output folder fails the run clearly; resume once it is writable completes it', async () => {
    const job = bigJob(join(root, 'readonly'));
    const out = join(job.root, 'out');
    mount(out, 'size=1m,ro');
    const runDir = join(job.root, 'run');
    const failed = await cli(job.runArgs(runDir, ['--output', `Out=${out}`]));
    expectExit(failed, 1);
    expect(failed.stdout).toContain('the file system is read-only (EROFS)');
    remount(out, 'rw');
    const resumed = await cli(['resume', runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(readRows(out)).toEqual(bigRows());
    expect(callsOf(job)).toHaveLength(6);
  });

  it('a run directory on a full disk stops clearly; resume after freeing space loses nothing', async () => {
    const job = bigJob(join(root, 'ledger'));
    const disk = join(job.root, 'disk');
    mount(disk, 'size=128k');
    const runDir = join(disk, 'run');
    const failed = await cli(job.runArgs(runDir));
    expectExit(failed, 3);
    expect(failed.stderr).toMatch(/error: cannot write \S+: the disk is full \((ENOSPC|SQLITE_FULL)\)\. The run stopped; nothing it committed is lost/);
    expect(failed.stderr).toContain(`Free space on the disk of ${runDir}, then continue with \`minibatch resume ${runDir}\``);
    expect(failed.stdout + failed.stderr).not.toMatch(/\n\s+at |internal error/);
    const before = callsOf(job).length;

    remount(disk, 'size=4m');
    const resumed = await cli(['resume', runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(rowsOf(runDir)).toEqual(bigRows());
    // Mini-batches committed before the disk filled did not run again; the rest ran (at least) once.
    expect(new Set(callsOf(job))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(callsOf(job).length).toBeLessThanOrEqual(before + 6);
  });

  it('a run directory whose disk fills while planning stops clearly (exit 3); resume after freeing space plans the rest', async () => {
    const files = fileNames(600);
    const job = makeJob(join(root, 'planning'), { files, miniBatchSize: 1 });
    const disk = join(job.root, 'disk');
    mount(disk, 'size=96k');
    const runDir = join(disk, 'run');
    const failed = await cli(job.runArgs(runDir));
    expectExit(failed, 3);
    expect(failed.stderr).toContain(`error: cannot write ${runDir}/state.db: the disk is full (SQLITE_FULL). The run stopped; nothing it committed is lost`);
    expect(failed.stderr).not.toMatch(/\n\s+at |internal error/);

    remount(disk, 'size=8m');
    const resumed = await cli(['resume', runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(resumed.stdout).toContain('planning was cut short; finished it');
    expect(rowsOf(runDir)).toEqual(expectedRows(files));
  });
});

function readRows(out: string): string[] {
  return readFileSync(join(out, 'parallel_run_step.txt'), 'utf8').split('\n').filter((line) => line !== '');
}
