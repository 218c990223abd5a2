/**
 * `minibatch run` end to end, as a user runs it: the built CLI, real Python workers, a real
 * ledger; assertions on exit codes, output files, job results and logs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/report/result.js';
import { runPaths } from '../../src/core/run-paths.js';
import { lockRunDir } from '../../src/run/rundir.js';
import { runCli } from '../helpers/cli.js';
import { makeModule, moduleArgs, names, type TestModule } from '../helpers/module.js';

function jobResult(m: TestModule): JobResult {
  return JSON.parse(readFileSync(join(m.runDir, 'logs', 'job_result.json'), 'utf8')) as JobResult;
}

describe('minibatch run', () => {
  it('runs every mini-batch and collects rows once, in mini-batch order', async () => {
    const m = makeModule({ entry: 'ok', files: names(23), settings: { outputAction: 'append_row' } });
    const r = await runCli([...moduleArgs(m), '--mini-batch-size', '4', '--processes', '2']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`run directory: ${m.runDir}`);
    expect(r.stdout).toContain('Succeeded: Every mini-batch succeeded.');
    expect(r.stdout).toContain('6 succeeded, 0 partial, 0 failed, 0 not run (of 6)');
    const rows = readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8');
    expect(rows).toBe(names(23).map((n) => `ok ${n} ${n.length}\n`).join(''));
    expect(jobResult(m)).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      miniBatches: { total: 6, succeeded: 6, partial: 0, failed: 0, notRun: 0 },
      items: { total: 23, succeeded: 23, failed: 0 },
      tries: 6,
      rows: 23,
    });
    const csv = readFileSync(join(m.runDir, 'logs', 'sys', 'processed_mini_batches.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(7);
    expect(readdirSync(join(m.runDir, 'logs', 'sys', 'workers')).sort()).toEqual(['worker-0.txt', 'worker-1.txt']);
    expect(readFileSync(join(m.runDir, 'logs', 'readme.txt'), 'utf8')).toContain('job_error.txt');
  });

  it('retried mini-batches still write their rows once and in order (csv with a header)', async () => {
    const m = makeModule({
      entry: 'flaky',
      files: names(9),
      settings: { outputAction: 'append_row', appendRowFormat: 'csv', miniBatchSize: 2 },
    });
    const r = await runCli([...moduleArgs(m), '--processes', '2']);
    expect(r.exitCode).toBe(0);
    const csv = readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8');
    expect(csv).toBe('name,length\n' + names(9).map((n) => `${n},${n.length}\n`).join(''));
    expect(jobResult(m)).toMatchObject({ tries: 10, miniBatches: { succeeded: 5 } });
    const errors = readFileSync(join(m.runDir, 'logs', 'job_error.txt'), 'utf8');
    expect(errors).toContain('RuntimeError: first try of f-000 fails');
    expect(errors).toContain('Traceback (most recent call last)');
  });

  it('a mini-batch whose rows do not fit the header fails, named, and its rows are left out', async () => {
    // dict_rows.py: a file named odd-… gets a row with other keys; mini-batch 1 holds it.
    const m = makeModule({
      entry: 'dict_rows',
      files: ['a-1', 'a-2', 'odd-1', 'odd-2'],
      settings: { outputAction: 'append_row', appendRowFormat: 'jsonl', miniBatchSize: 2 },
    });
    const r = await runCli([...moduleArgs(m), '--processes', '1']);
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8')).toBe(
      '{"size":3,"name":"a-1"}\n{"size":3,"name":"a-2"}\n',
    );
    const result = jobResult(m);
    expect(result).toMatchObject({ miniBatches: { succeeded: 1, failed: 1 }, items: { succeeded: 2, failed: 2 } });
    const message =
      'mini-batch 1 returned columns [name, weight], but the jsonl header (from the first mini-batch with rows) ' +
      'is [size, name]';
    expect(result.firstErrors[0]?.message).toContain(message);
    expect(r.stdout).toContain(message);
    expect(readFileSync(join(m.runDir, 'logs', 'job_error.txt'), 'utf8')).toContain(message);
  });

  it('an empty dataset succeeds with 0 items, with a warning naming the input and its path', async () => {
    const m = makeModule({ entry: 'ok', files: [] });
    const r = await runCli(moduleArgs(m));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Succeeded: 0 items: the inputs hold no files (see the warnings).\n');
    expect(r.stdout).toContain(`  warning: input Data (${m.data}) holds no files\n`);
    expect(jobResult(m).warnings).toEqual([`input Data (${m.data}) holds no files`]);
    expect(readFileSync(join(m.runDir, 'logs', 'job_result.txt'), 'utf8')).toContain(`Warning: input Data (${m.data}) holds no files`);
  });

  it('tolerated failures are no quiet success: the headline says so, why, and how to make them count (exit 0 kept)', async () => {
    const m = makeModule({ entry: 'raises', files: [...names(8), 'bad-1', 'bad-2'] });
    const r = await runCli([...moduleArgs(m), '--mini-batch-size', '1', '--run-max-try', '1', '--processes', '1']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(
      'Succeeded with failures: 2 of 10 mini-batches failed (2 items), tolerated because errorThreshold is -1 (ignored) ' +
        'and neither allowedFailedCount nor allowedFailedPercent is set. To make them fail the run: --allowed-failed-count 0',
    );
    expect(readFileSync(join(m.runDir, 'logs', 'job_result.txt'), 'utf8')).toMatch(/: SUCCEEDED WITH FAILURES\. 2 of 10 mini-batches failed/);
    expect(jobResult(m)).toMatchObject({ status: 'succeeded', exitCode: 0 });
  });

  it('a run in which nothing succeeded fails, whatever the thresholds say', async () => {
    const m = makeModule({ entry: 'raises', files: names(3, 'bad') });
    const r = await runCli([...moduleArgs(m), '--run-max-try', '1', '--processes', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('FAILED: No item succeeded, whatever the thresholds say.');
    expect(r.stdout).toMatch(/ {2}time {10}\d+(\.\d)? m?s, 1 try\n/); // no items/s of nothing
    expect(jobResult(m)).toMatchObject({ thisProcess: { command: 'run', itemsPerSecond: null }, wholeRun: { itemsPerSecond: null } });
    expect(r.stdout).toContain('ValueError: cannot score bad-000');
    expect(jobResult(m).firstErrors[0]).toMatchObject({ miniBatch: 0, type: 'ValueError' });
  });

  it('a short return counts its missing items as failed and is not retried', async () => {
    const m = makeModule({ entry: 'short_return', files: names(6) });
    const r = await runCli([...moduleArgs(m), '--mini-batch-size', '3', '--processes', '1']);
    expect(r.exitCode).toBe(0);
    expect(jobResult(m)).toMatchObject({
      miniBatches: { partial: 2, succeeded: 0 },
      items: { succeeded: 2, failed: 4 },
      tries: 2,
    });
  });

  it('a bad return value fails the mini-batch at once, with a message naming what came back', async () => {
    const m = makeModule({ entry: 'bad_return', files: names(2) });
    const r = await runCli([...moduleArgs(m), '--processes', '1']);
    expect(r.exitCode).toBe(1);
    // Not retried: the same script would return the same thing again (runMaxTry is 3 here).
    expect(jobResult(m)).toMatchObject({ tries: 1, miniBatches: { failed: 1 } });
    const errors = readFileSync(join(m.runDir, 'logs', 'job_error.txt'), 'utf8');
    expect(errors).toMatch(/BadReturn: run\(\) returned None/);
  });

  it('init() failing on every worker stops the run and shows the traceback', async () => {
    const m = makeModule({ entry: 'init_raises', files: names(4) });
    const r = await runCli([...moduleArgs(m), '--processes', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('FileNotFoundError: model.pkl is missing');
    expect(jobResult(m).status).toBe('failed');
  });

  it('--limit plans only the first N mini-batches', async () => {
    const m = makeModule({ entry: 'ok', files: names(10) });
    const r = await runCli([...moduleArgs(m), '--mini-batch-size', '2', '--limit', '2', '--processes', '1']);
    expect(r.exitCode).toBe(0);
    expect(jobResult(m)).toMatchObject({ miniBatches: { total: 2 }, items: { total: 4 } });
  });

  it('refuses an output bound to a file, before anything starts', async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    const file = join(m.root, 'a-file');
    writeFileSync(file, 'x');
    const r = await runCli(['run', m.spec, '--input', `Data=${m.data}`, '--output', `Out=${file}`, '--run-dir', m.runDir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`output \`Out\` must be a folder, but ${file} is a file`);
    expect(existsSync(m.runDir)).toBe(false);
  });

  it('an interpreter that cannot start: exit 3, how to fix it, and no run directory left behind', async () => {
    const m = makeModule({ entry: 'ok', files: names(2) });
    const r = await runCli([...moduleArgs(m), '--python', 'no-such-python-3.99']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('cannot start the Python interpreter `no-such-python-3.99`: not found');
    expect(r.stderr).toContain('--python /path/to/python');
    expect(r.stdout).toBe('');
    expect(existsSync(m.runDir)).toBe(false);
  });

  it('an interpreter that is a binary but not Python: its workers are stopped, exit 3, no run directory', async () => {
    // Workers start from a binary before the probe answers (interpreter.ts): a failed probe must
    // still stop them and leave nothing behind.
    const m = makeModule({ entry: 'ok', files: names(2) });
    const fakePython = join(m.root, 'python-false');
    copyFileSync('/bin/false', fakePython);
    chmodSync(fakePython, 0o755);
    const r = await runCli([...moduleArgs(m), '--python', fakePython]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`cannot start the Python interpreter \`${fakePython}\`: it exited with code 1`);
    expect(r.stdout).toBe('');
    expect(existsSync(m.runDir)).toBe(false);
  });

  it('refuses a --run-dir that is a folder of other files', async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    const r = await runCli([...moduleArgs(m).slice(0, -3), '--run-dir', m.data]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${m.data} exists and is not an empty folder; give --run-dir a new or empty folder`);
  });

  it('takes over a --run-dir whose run was killed before run.json; refuses one whose start is alive', async () => {
    // What `run` leaves when killed between locking its folder and writing run.json: its log folders,
    // its lock file and the note of who held it (the lock itself went with the process).
    const m = makeModule({ entry: 'ok', files: names(2), settings: { outputAction: 'append_row' } });
    mkdirSync(join(m.runDir, 'logs', 'sys', 'workers'), { recursive: true });
    const release = lockRunDir(runPaths(m.runDir));
    let live;
    try {
      live = await runCli(moduleArgs(m));
    } finally {
      release();
    }
    expect(live.exitCode).toBe(3);
    expect(live.stderr).toContain(`${m.runDir} is being driven by process ${process.pid} on ${hostname()}`);

    const dead = spawnSync('true').pid ?? 0;
    writeFileSync(join(m.runDir, 'run.owner'), JSON.stringify({ pid: dead, host: hostname(), since: '2026-12-07T00:00:00Z' }) + '\n');
    const resume = await runCli(['resume', m.runDir]);
    expect(resume.exitCode).toBe(2);
    expect(resume.stderr).toContain(`${m.runDir} holds a run stopped before it began (no run.json): nothing to resume; start it again`);
    const r = await runCli(moduleArgs(m));
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8')).toBe(names(2).map((n) => `ok ${n} ${n.length}\n`).join(''));
    expect(existsSync(join(m.runDir, 'run.owner'))).toBe(false);
  });

  it('takes over a --run-dir left by an older version killed before run.json (a pid in run.lock)', async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    mkdirSync(join(m.runDir, 'logs', 'sys', 'workers'), { recursive: true });
    const dead = spawnSync('true').pid ?? 0;
    writeFileSync(join(m.runDir, 'run.lock'), JSON.stringify({ pid: dead, host: hostname(), since: '2026-12-07T00:00:00Z' }) + '\n');
    const r = await runCli(moduleArgs(m));
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('refuses a --run-dir with a lock and a file of its own: it is not a run this tool started', async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    mkdirSync(m.runDir, { recursive: true });
    writeFileSync(join(m.runDir, 'run.lock'), '{}\n');
    writeFileSync(join(m.runDir, 'notes.txt'), 'mine\n');
    const r = await runCli(moduleArgs(m));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${m.runDir} exists and is not an empty folder`);
    expect(readFileSync(join(m.runDir, 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('refuses a --run-dir that holds another run, suggesting resume', async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    expect((await runCli(moduleArgs(m))).exitCode).toBe(0);
    const again = await runCli(moduleArgs(m));
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain(`${m.runDir} already holds a run; continue it with \`minibatch resume ${m.runDir}\``);
  });
});

describe('error thresholds fail a run only when strictly exceeded', () => {
  // 10 one-file mini-batches, 2 of which raise on every try.
  const files = [...names(8), 'bad-1', 'bad-2'];
  const run = async (...flags: string[]): Promise<{ exitCode: number | null; result: JobResult }> => {
    const m = makeModule({ entry: 'raises', files });
    const r = await runCli([...moduleArgs(m), '--mini-batch-size', '1', '--run-max-try', '1', '--processes', '2', ...flags]);
    return { exitCode: r.exitCode, result: jobResult(m) };
  };

  it('errorThreshold: 2 failed items pass at 2 and fail at 1', async () => {
    expect((await run('--error-threshold', '2')).exitCode).toBe(0);
    const over = await run('--error-threshold', '1');
    expect(over.exitCode).toBe(1);
    expect(over.result.threshold).toMatchObject({ setting: 'errorThreshold', limit: 1, found: 2 });
    expect(over.result.reason).toBe('Stopped: 2 items failed, more than errorThreshold 1 (by 1).');
  });

  it('allowedFailedCount: 2 failed mini-batches pass at 2 and fail at 1', async () => {
    expect((await run('--allowed-failed-count', '2')).exitCode).toBe(0);
    const over = await run('--allowed-failed-count', '1');
    expect(over.exitCode).toBe(1);
    expect(over.result.threshold).toMatchObject({ setting: 'allowedFailedCount', found: 2 });
  });

  it('allowedFailedPercent: 20% failed passes at 20 and fails at 19', async () => {
    expect((await run('--allowed-failed-percent', '20')).exitCode).toBe(0);
    const over = await run('--allowed-failed-percent', '19');
    expect(over.exitCode).toBe(1);
    expect(over.result.reason).toBe(
      'Stopped: 20% of mini-batches failed (2 of 10), more than allowedFailedPercent 19%.',
    );
  });
});

describe('append_row with a DataFrame', () => {
  const pandas = existsSync('/usr/bin/python3') && hasPandas();
  it.skipIf(!pandas && process.env.CI !== 'true')(
    'takes the csv header from the columns (needs /usr/bin/python3 with python3-pandas)',
    async () => {
      const m = makeModule({
        entry: 'dataframe',
        files: names(3),
        settings: { outputAction: 'append_row', appendRowFormat: 'csv' },
      });
      const r = await runCli([...moduleArgs(m), '--python', '/usr/bin/python3', '--processes', '1']);
      expect(r.exitCode).toBe(0);
      expect(readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8')).toBe(
        'name,size,score\nf-000,5,0.5\nf-001,5,0.5\nf-002,5,\n',
      );
    },
  );
});

function hasPandas(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import pandas'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
