/**
 * The machine fails a live run: its run directory made unwritable, moved, or this process out of
 * file descriptors. Each ends with one message (what, where, that nothing committed is lost, what
 * to do) and exit 3, no stack trace; `resume` once it is fixed finishes with exact rows.
 *
 * Root ignores file modes, so the unwritable case runs minibatch without CAP_DAC_OVERRIDE
 * (`setpriv`), as an ordinary user would be; the descriptor case lowers `ulimit -n` around it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type CliResult } from '../helpers/cli.js';
import { callsOf, cli, committedIn, expectedRows, expectExit, fileNames, makeJob, rowsOf } from './helpers.js';

const NO_STACK = /\n\s+at |internal error/;
const FILES = fileNames(8);
/** Mini-batches 0–3 commit; 4 and on wait while the hold file exists. */
const HOLD_FROM = ['--env', 'HOLD_FROM=4'];

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'minibatch-faults-'));
});
afterAll(() => {
  spawnSync('chmod', ['-R', 'u+w', root]);
  rmSync(root, { recursive: true, force: true });
});

/** `command …args` in the background, as the CLI helper would run it, with its result later. */
function start(command: string, args: readonly string[]): Promise<CliResult> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', MINIBATCH_TEST_KILL_AT: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, exitCode, signal });
    }),
  );
}

/** Waits until the ledger holds `count` committed mini-batches (the run is live, part-done). */
async function untilCommitted(runDir: string, count: number): Promise<void> {
  for (let i = 0; i < 3000 && committedIn(runDir).size < count; i++) await sleep(20);
  expect(committedIn(runDir).size).toBeGreaterThanOrEqual(count);
}

const setprivMissing = spawnSync('setpriv', ['--version']).error !== undefined;

describe.concurrent('a live run whose machine fails it', () => {
  it.skipIf(setprivMissing && process.env.CI !== 'true')('its run directory made unwritable: exit 3, what to do; resume once writable loses nothing', async () => {
    const job = makeJob(join(root, 'unwritable'), { files: FILES, miniBatchSize: 1 });
    const runDir = join(job.root, 'run');
    writeFileSync(job.hold, '');
    // Without the capability that lets root write anywhere, as a user's run would be.
    const running = start('setpriv', ['--bounding-set', '-dac_override,-dac_read_search', '--', CLI, ...job.runArgs(runDir, HOLD_FROM)]);
    await untilCommitted(runDir, 4);
    spawnSync('chmod', ['-R', 'a-w', runDir]);
    rmSync(job.hold);
    const failed = await running;
    expectExit(failed, 3);
    expect(failed.stderr).toMatch(new RegExp(`error: cannot write ${runDir}/\\S+: permission is denied \\(EACCES\\)\\. The run stopped; nothing it committed is lost`));
    expect(failed.stderr).toContain(`Make ${runDir} writable again (chmod -R u+w ${runDir}`);
    expect(failed.stderr).toContain(`then continue with \`minibatch resume ${runDir}\``);
    expect(failed.stderr).not.toMatch(NO_STACK);

    spawnSync('chmod', ['-R', 'u+w', runDir]);
    const resumed = await cli(['resume', runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(rowsOf(runDir)).toEqual(expectedRows(FILES));
    expect(callsOf(job).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('its run directory moved: exit 3 naming where it is now, nothing made at the old path; resume there loses nothing', async () => {
    const job = makeJob(join(root, 'moved'), { files: FILES, miniBatchSize: 1 });
    const runDir = join(job.root, 'run');
    const movedTo = join(job.root, 'elsewhere');
    writeFileSync(job.hold, '');
    const running = start(CLI, job.runArgs(runDir, HOLD_FROM));
    await untilCommitted(runDir, 4);
    renameSync(runDir, movedTo);
    rmSync(job.hold);
    const failed = await running;
    expectExit(failed, 3);
    expect(failed.stderr).toContain(`error: the run directory ${runDir} was moved to ${movedTo} while the run was running`);
    expect(failed.stderr).toContain(`nothing it committed is lost (${movedTo}/state.db keeps the`);
    expect(failed.stderr).toContain(`Continue with \`minibatch resume ${movedTo}\``);
    expect(failed.stderr).not.toMatch(NO_STACK);
    // No stray rows file, log or folder where it was.
    expect(existsSync(runDir)).toBe(false);

    const resumed = await cli(['resume', movedTo, '--no-progress']);
    expectExit(resumed, 0);
    expect(rowsOf(movedTo)).toEqual(expectedRows(FILES));
    expect(existsSync(runDir)).toBe(false);
    // Committed mini-batches did not run again; those running at the move at most once more.
    expect(new Set(callsOf(job))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
    expect(callsOf(job).length).toBeLessThanOrEqual(FILES.length + 2);
  });

  it('out of file descriptors while starting workers: exit 3 naming the limit and ulimit -n; resume under a higher limit', async () => {
    const files = fileNames(40);
    const job = makeJob(join(root, 'descriptors'), { files, miniBatchSize: 1, processes: 30 });
    const runDir = join(job.root, 'run');
    const quoted = job.runArgs(runDir).map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const failed = await start('sh', ['-c', `ulimit -n 64 && exec '${CLI}' ${quoted}`]);
    expectExit(failed, 3);
    expect(failed.stderr).toContain('error: this process reached its limit of 64 open files (ulimit -n) (EMFILE). The run stopped; nothing it committed is lost');
    expect(failed.stderr).toContain('Raise the limit (`ulimit -n 4096` in the shell that starts minibatch) or give fewer --processes');
    expect(failed.stderr).toContain(`then continue with \`minibatch resume ${runDir}\``);
    expect(failed.stderr).not.toMatch(NO_STACK);

    const resumed = await cli(['resume', runDir, '--no-progress', '--processes', '2']);
    expectExit(resumed, 0);
    expect(rowsOf(runDir)).toEqual(expectedRows(files));
  });
});

describe('--processes past the mini-batches to run', () => {
  it('starts one worker per mini-batch, and says so first', async () => {
    const job = makeJob(join(root, 'capped'), { files: fileNames(2), miniBatchSize: 1, processes: 64 });
    const runDir = join(job.root, 'run');
    const r = await cli(job.runArgs(runDir));
    expectExit(r, 0);
    expect(r.stdout.split('\n').slice(0, 3).join('\n')).toContain('workers: 2, not the 64 asked for (processCountPerNode): there are 2 mini-batches to run');
    // One lifecycle log per worker process started.
    expect(readdirSync(join(runDir, 'logs', 'sys', 'workers')).filter((name) => name.endsWith('.txt')).sort()).toEqual(['worker-0.txt', 'worker-1.txt']);
    expect(rowsOf(runDir)).toEqual(expectedRows(fileNames(2)));
  });
});
