/**
 * `minibatch retry-failed` : only what failed, returned short or was not run runs again,
 * with fresh tries; the new rows replace the old, in mini-batch order; the outcome is judged again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../data/tree.js';
import { callsOf, cli, committedIn, expectedRows, expectExit, fileNames, makeJob, rowsOf } from '../run/helpers.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('minibatch-retry-');
});
afterAll(() => tmp.cleanup());

describe.concurrent('minibatch retry-failed', () => {
  it('runs the failed and the not-run mini-batches of a threshold stop again, and the run succeeds', async () => {
    const files = [...fileNames(12), 'f01bad.txt', 'f07bad.txt'];
    const job = makeJob(join(tmp.dir, 'threshold'), { files, sleepMs: 30 });
    const runDir = join(job.root, 'run');
    const stopped = await cli(job.runArgs(runDir, ['--run-max-try', '2', '--allowed-failed-count', '0']));
    expectExit(stopped, 1);
    const succeeded = committedIn(runDir, 'succeeded');
    const seen = callsOf(job).length;

    writeFileSync(job.fixed, '');
    const retried = await cli(['retry-failed', runDir, '--run-max-try', '1', '--no-progress']);
    expectExit(retried, 0);
    expect(retried.stdout).toMatch(/retrying \d+ mini-batches with fresh tries: [12] failed, 0 partial, \d+ not run/);
    expect(retried.stdout).toContain('Succeeded: Every mini-batch succeeded.');
    // Succeeded mini-batches kept their rows and did not run again; the rows are whole and in order.
    expect(callsOf(job).slice(seen).filter((i) => succeeded.has(i))).toEqual([]);
    expect(rowsOf(runDir)).toEqual(expectedRows(files));
    const result = JSON.parse(readFileSync(join(runDir, 'logs', 'job_result.json'), 'utf8')) as {
      status: string;
      miniBatches: { failed: number; notRun: number };
    };
    expect(result).toMatchObject({ status: 'succeeded', miniBatches: { failed: 0, notRun: 0 } });
    // Every try is in the log, the retried one with a fresh count.
    expect(readFileSync(join(runDir, 'logs', 'sys', 'processed_mini_batches.csv'), 'utf8')).toMatch(/^1,1,worker-\d,.*,succeeded,succeeded,2,0,/m);
  });

  it('a run in which nothing failed has nothing to retry', async () => {
    const files = fileNames(4);
    const job = makeJob(join(tmp.dir, 'clean'), { files });
    const runDir = join(job.root, 'run');
    expectExit(await cli(job.runArgs(runDir)), 0);
    const retried = await cli(['retry-failed', runDir]);
    expectExit(retried, 0);
    expect(retried.stdout).toContain('Nothing to retry: every mini-batch of run');
    expect(callsOf(job)).toHaveLength(2);
    const refused = await cli(['retry-failed', runDir, '--append-row-format', 'csv']);
    expectExit(refused, 2);
    expect(refused.stderr).toContain('retry-failed continues a run with the module, bindings, environment, mini-batches and outputs it was planned with; --append-row-format would change them');
  });
});
