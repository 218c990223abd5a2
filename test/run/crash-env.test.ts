/**
 * Crashes beyond the orchestrator alone: a worker killed mid-batch together with the
 * orchestrator (SIGKILL to the whole process group), and a killed run directory copied elsewhere and
 * resumed there. Each loses nothing: the rows are all there, once, in order, and no committed
 * mini-batch runs again.
 */
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../data/tree.js';
import { CLI } from '../helpers/cli.js';
import { isAlive } from '../helpers/processes.js';
import { callsOf, cli, committedIn, expectedRows, expectExit, fileNames, makeJob, rowsOf } from './helpers.js';

const FILES = fileNames(16);

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('minibatch-crash-env-');
});
afterAll(() => tmp.cleanup());

describe.concurrent('crashes around the orchestrator', () => {
  it('a worker killed mid-batch with the orchestrator (kill -9 of both process groups) loses nothing', async () => {
    // 8 mini-batches of 2 files, 300 ms each on 2 workers: the kill lands while both are busy.
    const job = makeJob(join(tmp.dir, 'group'), { files: FILES, sleepMs: 300 });
    const runDir = join(job.root, 'run');
    const child = spawn(CLI, job.runArgs(runDir), { detached: true, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const pid = child.pid ?? 0;
    // Until two mini-batches are committed and a third try has started since.
    while (committedIn(runDir).size < 2 || callsOf(job).length < 4) await sleep(20);
    const calls = readFileSync(job.calls, 'utf8').trim().split('\n');
    const busyWorker = Number(calls.at(-1)?.split(' ')[1]);
    // The orchestrator's group, and the busy worker's (workers lead their own groups, docs/ARCHITECTURE.md, "Host channels").
    process.kill(-busyWorker, 'SIGKILL');
    process.kill(-pid, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const committed = committedIn(runDir);
    const seen = callsOf(job).length;
    // No worker outlives its orchestrator (each sees its pipe close and takes its process group down).
    const workers = new Set(calls.map((line) => Number(line.split(' ')[1])));
    await sleep(200);
    expect([...workers].filter(isAlive)).toEqual([]);

    const resumed = await cli(['resume', runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(resumed.stdout).toContain(`${committed.size} of 8 mini-batches already committed`);
    expect(callsOf(job).slice(seen).filter((i) => committed.has(i))).toEqual([]);
    expect(rowsOf(runDir)).toEqual(expectedRows(FILES));
  });

  it('a killed run directory copied elsewhere resumes there, with its paths', async () => {
    const job = makeJob(join(tmp.dir, 'copy'), { files: FILES, sleepMs: 20 });
    const original = join(job.root, 'original');
    expectExit(await cli(job.runArgs(original), { MINIBATCH_TEST_KILL_AT: 'committed:3' }), 'SIGKILL');
    const committed = committedIn(original);
    const seen = callsOf(job).length;
    const copy = join(job.root, 'elsewhere', 'run');
    cpSync(original, copy, { recursive: true });
    // Nothing may point back at the original.
    rmSync(original, { recursive: true });
    expect(readFileSync(join(copy, 'run.json'), 'utf8')).toContain('"$RUN_DIR/outputs/out"');

    const resumed = await cli(['resume', copy, '--no-progress']);
    expectExit(resumed, 0);
    expect(resumed.stdout).toContain(`run directory: ${copy}`);
    expect(resumed.stdout).toContain(`rows          16 in ${join(copy, 'outputs', 'out', 'parallel_run_step.txt')}`);
    expect(callsOf(job).slice(seen).filter((i) => committed.has(i))).toEqual([]);
    expect(rowsOf(copy)).toEqual(expectedRows(FILES));
  });
});
