/**
 * `minibatch status` and `minibatch runs` : a run seen from outside, read-only, while it is
 * live (and a second driver refused, naming the process), after it was killed, and once done; the
 * most common errors with counts and where to read them.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/report/status.js';
import { tempDir } from '../data/tree.js';
import { CLI } from '../helpers/cli.js';
import { cli, committedIn, expectExit, fileNames, makeJob } from '../run/helpers.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('minibatch-status-');
});
afterAll(() => tmp.cleanup());

const json = (stdout: string): StatusReport => JSON.parse(stdout) as StatusReport;

describe.concurrent('minibatch status and runs', () => {
  it('while live: running, with its process; a second run or resume is refused naming it; after kill -9: killed, then resumed', async () => {
    const job = makeJob(join(tmp.dir, 'live'), { files: fileNames(8), sleepMs: 100, processes: 1 });
    const cwd = job.root;
    const runDir = join(cwd, '.minibatch', 'runs', 'live');
    const args = job.runArgs('.minibatch/runs/live');
    const child = spawn(CLI, args, { cwd, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const pid = child.pid ?? 0;
    while (committedIn(runDir).size < 1) await sleep(20);
    // Held still (the next run() call waits) while it is looked at.
    writeFileSync(job.hold, '');

    const [text, asJson, resume, run] = await Promise.all([
      cli(['status'], {}, cwd),
      cli(['status', runDir, '--json'], {}, cwd),
      cli(['resume', runDir], {}, cwd),
      cli(args, {}, cwd),
    ]);
    expectExit(text, 0);
    expect(text.stdout).toContain(`  state         running (process ${pid} on `);
    expect(text.stdout).toMatch(/ {2}mini-batches {2}\d\/4 done: \d succeeded, 0 partial, 0 failed; \d pending/);
    expect(json(asJson.stdout)).toMatchObject({ state: 'running', driver: { pid }, planning: 'done', next: null });
    for (const refused of [resume, run]) {
      expectExit(refused, 3);
      expect(refused.stderr).toContain(`${runDir} is being driven by process ${pid} on `);
    }

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    rmSync(job.hold);
    const [killed, runs] = await Promise.all([cli(['status', '--json'], {}, cwd), cli(['runs'], {}, cwd)]);
    expect(json(killed.stdout)).toMatchObject({ state: 'killed', next: `minibatch resume ${runDir}` });
    expect(runs.stdout).toMatch(/^RUN +MODULE +STARTED +STATE +PROGRESS\n\d{8}-\d{6}-[0-9a-f]{4} +Records Calls 1\.0\.0 +\S+ +killed +\d\/4 mini-batches\n$/);

    expectExit(await cli(['resume', runDir, '--no-progress'], {}, cwd), 0);
    const done = json((await cli(['status', '--json'], {}, cwd)).stdout);
    expect(done).toMatchObject({
      state: 'succeeded',
      miniBatches: { total: 4, succeeded: 4, pending: 0 },
      items: { total: 8, succeeded: 8, failed: 0, pending: 0 },
      tries: 4,
      etaMs: null,
      errors: [],
      next: null,
    });
    expect(done.slowest).toHaveLength(4);
    expect(done.throughput?.itemsPerSecond).toBeGreaterThan(0);
  });

  it('the most common errors, with counts and where to read them', async () => {
    const job = makeJob(join(tmp.dir, 'errors'), { files: [...fileNames(6), 'f01bad.txt', 'f04bad.txt'] });
    const runDir = join(job.root, 'run');
    expectExit(await cli(job.runArgs(runDir, ['--run-max-try', '2'])), 0);
    const [text, asJson] = await Promise.all([cli(['status', runDir]), cli(['status', runDir, '--json'])]);
    const report = json(asJson.stdout);
    expect(report).toMatchObject({ state: 'succeeded', miniBatches: { failed: 2 }, tries: 6, next: `minibatch retry-failed ${runDir}` });
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ outcome: 'raised', type: 'ValueError', count: 4, example: { log: join(runDir, 'logs', 'job_error.txt') } });
    expect(report.errors[0]?.example.message).toMatch(/^cannot read f0[14]bad\.txt$/);
    expect(text.stdout).toMatch(/most common errors:\n {4}4× ValueError \(raised\), e\.g\. mini-batch \d try 2: cannot read f0[14]bad\.txt\n/);
    expect(text.stdout).toContain(`       ${join(runDir, 'logs', 'job_error.txt')}, ${join(runDir, 'logs', 'user', 'stderr')}`);

    const none = await cli(['runs'], {}, job.root);
    expect(none.stdout).toBe(`no runs under ${join(job.root, '.minibatch', 'runs')}\n`);
    const noStatus = await cli(['status'], {}, job.root);
    expectExit(noStatus, 2);
    expect(noStatus.stderr).toContain('no runs under');
  });
});
