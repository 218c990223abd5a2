/**
 * `minibatch status` and `minibatch runs` : a run seen from outside, read-only, while it is
 * live (and a second driver refused, naming the process), after it was killed, and once done; the
 * most common errors with counts and where to read them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/report/status.js';
import { tempDir } from '../data/tree.js';
import { CLI } from '../helpers/cli.js';
import { onTerminal, plainText } from '../helpers/terminal.js';
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

    // Once the held call has started, one try runs; the one prefetched behind it does not count.
    // (Between two calls the worker runs none for a moment: asked again, briefly.)
    const callsStarted = (): number => readFileSync(job.calls, 'utf8').trim().split('\n').length;
    while (callsStarted() <= committedIn(runDir).size) await sleep(20);
    let held = json((await cli(['status', runDir, '--json'], {}, cwd)).stdout);
    for (let asked = 1; held.running !== 1 && asked < 20; asked++) held = json((await cli(['status', runDir, '--json'], {}, cwd)).stdout);
    expect(held).toMatchObject({ state: 'running', running: 1 });
    expect((await cli(['status', runDir], {}, cwd)).stdout).toMatch(/\n {2}tries {9}\d+; 1 running now\n/);

    // Watching a run held still: until Ctrl-C, which ends the watch (130), not the run.
    const watch = spawn(CLI, ['status', runDir, '--watch'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    const watchExit = new Promise<number | null>((resolve) => watch.once('exit', resolve));
    await new Promise((resolve) => watch.stdout.once('data', resolve));
    watch.kill('SIGINT');
    expect(await watchExit).toBe(130);
    expect(json((await cli(['status', runDir, '--json'], {}, cwd)).stdout)).toMatchObject({ state: 'running' });

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    rmSync(job.hold);
    const [killed, runs] = await Promise.all([cli(['status', '--json'], {}, cwd), cli(['runs'], {}, cwd)]);
    expect(json(killed.stdout)).toMatchObject({ state: 'killed', next: `minibatch resume ${runDir}` });
    expect(runs.stdout).toMatch(
      /^RUN +MODULE +STARTED +STATE +PROGRESS +DIRECTORY\n\d{8}-\d{6}-[0-9a-f]{4} +Records Calls 1\.0\.0 +(just now|\d+ min ago) +killed +\d\/4 mini-batches +\.minibatch\/runs\/live\n$/,
    );

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
    expect(report.errors[0]).toMatchObject({ miniBatches: [1, 3], miniBatchCount: 2 });
    expect(text.stdout).toMatch(
      /most common errors:\n {4}4× ValueError \(raised\) in 2 mini-batches \(1, 3\); the latest, mini-batch [13] try 2 on worker-\d: cannot read f0[14]bad\.txt\n/,
    );
    expect(text.stdout).toContain(`       traceback  ${join(runDir, 'logs', 'job_error.txt')}\n`);
    expect(text.stdout).toContain(`       logs       ${join(runDir, 'logs', 'user', 'stdout')}`);

    const empty = join(tmp.dir, 'errors-empty');
    mkdirSync(empty);
    const none = await cli(['runs'], {}, empty);
    expect(none.stdout).toBe(`no runs under ${join(empty, '.minibatch', 'runs')} or made from this folder\n`);
    const noStatus = await cli(['status'], {}, empty);
    expectExit(noStatus, 2);
    expect(noStatus.stderr).toContain('no runs under');
  });

  it('--watch follows a live run until it ends: a block per change without a terminal, redrawn in place on one', async () => {
    const job = makeJob(join(tmp.dir, 'watch'), { files: fileNames(8), sleepMs: 300, processes: 1 });
    const runDir = join(job.root, 'run');
    // Held still until both watchers have drawn it running; then it goes on to its end.
    writeFileSync(job.hold, '');
    const child = spawn(CLI, job.runArgs(runDir), { cwd: job.root, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    while (!existsSync(join(runDir, 'state.db'))) await sleep(20);
    let drawn = (): void => undefined;
    const terminalDrawn = new Promise<void>((resolve) => (drawn = resolve));
    const terminalDone = onTerminal(['status', runDir, '--watch', '--interval', '0.2'], 200, (screen) => {
      if (screen.includes('Ctrl-C to stop watching')) drawn();
    });
    const watcher = spawn(CLI, ['status', runDir, '--watch', '--interval', '200ms'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watcher.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const plainDone = new Promise<number | null>((resolve) => watcher.once('close', resolve));
    while (out === '') await sleep(20);
    await terminalDrawn;
    rmSync(job.hold);
    const [plainExit, terminal] = await Promise.all([plainDone, terminalDone]);
    const plain = { stdout: out, exitCode: plainExit };
    expect(await exited).toBe(0);

    expect(plain.exitCode).toBe(0);
    const blocks = plain.stdout.split(/^--- .+\n/m).slice(1);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(blocks[0]).toContain('  state         running (process ');
    expect(blocks.at(-1)).toContain('  state         succeeded\n');
    expect(blocks.at(-1)).toContain('  mini-batches  4/4 done: 4 succeeded');
    // Each block is a change: no two alike but for the time.
    expect(new Set(blocks).size).toBe(blocks.length);

    expect(terminal.exitCode).toBe(0);
    // Drawn, then moved back over and cleared, then drawn again.
    // eslint-disable-next-line no-control-regex
    expect(terminal.screen).toMatch(/\x1b\[\d+A\r\x1b\[J/);
    expect(terminal.screen).toContain('Ctrl-C to stop watching');
    expect(plainText(terminal.screen).trimEnd()).toMatch(/ {2}state {9}succeeded\n[\s\S]* {2}logs {10}\S+$/);

    const badInterval = await cli(['status', runDir, '--watch', '--interval', 'soon']);
    expectExit(badInterval, 2);
    expect(badInterval.stderr).toContain('--interval must be a duration such as 90 (seconds)');
  });

  it('runs and status without a run directory find runs made with --run-dir, remembered when they started', async () => {
    const job = makeJob(join(tmp.dir, 'remembered'), { files: fileNames(4) });
    const env = { MINIBATCH_CACHE_DIR: join(job.root, 'cache') };
    const elsewhere = join(tmp.dir, 'remembered-elsewhere', 'run');
    expectExit(await cli(job.runArgs(elsewhere), env, job.root), 0);

    // From the module's folder: the run is this project's, wherever its directory is.
    const [runs, asJson, status] = await Promise.all([
      cli(['runs'], env, job.root),
      cli(['runs', '--json'], env, job.root),
      cli(['status'], env, job.root),
    ]);
    expect(runs.stdout).toMatch(new RegExp(` +Records Calls 1\\.0\\.0 +(just now|1 min ago) +succeeded +\\d\\/\\d mini-batches +${elsewhere}\n$`));
    const [entry] = JSON.parse(asJson.stdout) as [{ dir: string; miniBatches: { total: number }; items: { total: number; succeeded: number } }];
    expect(entry).toMatchObject({ dir: elsewhere, items: { total: 4, succeeded: 4, failed: 0 }, state: 'succeeded', planningDone: true });
    expect(typeof entry.miniBatches.total).toBe('number');
    expectExit(status, 0);
    expect(status.stdout).toContain('state         succeeded');

    // From a folder that has nothing to do with it: only with --all.
    const other = join(tmp.dir, 'remembered-other');
    mkdirSync(other);
    expect((await cli(['runs'], env, other)).stdout).toContain('no runs under');
    expect((await cli(['runs', '--all'], env, other)).stdout).toContain(elsewhere);
  });
});
