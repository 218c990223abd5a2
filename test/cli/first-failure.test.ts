/**
 * The first failure of a new module, as a user sees it: why it failed (the worker's stderr, a hint
 * for the common causes) and which interpreter ran.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ENTRIES, makeModule, moduleArgs, names } from '../helpers/module.js';
import type { JobResult } from '../../src/report/result.js';
import type { StatusReport } from '../../src/report/status.js';

/** Debian's Python, with pandas (for a table's mini-batches). */
const PANDAS_PYTHON = '/usr/bin/python3';
const hasPandas = ((): boolean => {
  try {
    execFileSync(PANDAS_PYTHON, ['-c', 'import pandas'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env['CI'] === 'true') throw new Error(`${PANDAS_PYTHON} has no pandas: .ci/run installs python3-pandas`);
    return false;
  }
})();
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

describe('the interpreter', () => {
  it('is named on the first lines of a run, before anything can fail', async () => {
    const m = makeModule({ entry: 'ok', files: names(2) });
    const r = await runCli([...moduleArgs(m), '--processes', '1']);
    expect(r.exitCode).toBe(0);
    const version = execFileSync(PYTHON, ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).trim();
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([`run directory: ${m.runDir}`, `python: ${PYTHON} (Python ${version})`]);
  });
});

describe('why init() failed', () => {
  it('an argparse exit shows argparse’s own line from stderr and says to use parse_known_args()', async () => {
    const m = makeModule({ entry: 'init_parse_args', files: names(2) });
    const r = await runCli([...moduleArgs(m), '--processes', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`The last, in worker-0 (Python: ${PYTHON}):\nSystemExit: 2\n`);
    expect(r.stdout).toContain(`The last lines of ${m.runDir}/logs/user/stderr/worker-0.txt:\n  usage: entry.py [-h] [--model MODEL]\n`);
    expect(r.stdout).toContain(`  entry.py: error: unrecognized arguments: --output ${m.out}\n`);
    expect(r.stdout).toContain(
      'hint: argparse exited: minibatch appends `--output PATH` (the outputData folder) to the entry script\'s ' +
        'arguments, as Azure did; parse them with `parser.parse_known_args()`',
    );
  });

  it('a missing module names the interpreter that ran and how to choose another', async () => {
    const m = makeModule({ entry: 'imports_missing', files: names(2) });
    const r = await runCli([...moduleArgs(m), '--processes', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("ModuleNotFoundError: No module named 'minibatch_no_such_package'");
    expect(r.stdout).toContain(
      `hint: the entry script ran with ${PYTHON}, which cannot import \`minibatch_no_such_package\`: install it there ` +
        `(\`${PYTHON} -m pip install …\`), or choose another with --python PATH`,
    );
  });

  it('a syntax error names its file and line', async () => {
    const m = makeModule({ entry: 'syntax_error', files: names(2) });
    const r = await runCli([...moduleArgs(m), '--processes', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`hint: a syntax error at ${m.root}/module/entry.py:4, as ${PYTHON} parses it`);
  });
});

describe('the errors that remain', () => {
  it('each once, with its tries, mini-batch, item and place; after retry-failed fixed them, none', async () => {
    const m = makeModule({ entry: 'raises', files: [...names(4), 'bad-1'] });
    const r = await runCli([...moduleArgs(m), '--mini-batch-size', '2', '--processes', '1']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Errors that remain:\n  3 tries of mini-batch 0 (bad-1): ValueError: cannot score bad-1 at entry.py:7\n');
    expect(r.stdout.match(/ValueError/g)).toHaveLength(1);
    expect(readFileSync(join(m.runDir, 'logs', 'job_result.txt'), 'utf8')).toContain('  3 tries of mini-batch 0 (bad-1): ValueError: cannot score bad-1 at entry.py:7');

    copyFileSync(join(ENTRIES, 'ok.py'), join(m.root, 'module', 'entry.py'));
    const retried = await runCli(['retry-failed', m.runDir, '--no-progress']);
    expect(retried.exitCode).toBe(0);
    expect(retried.stdout).toContain('Succeeded: Every mini-batch succeeded.');
    expect(retried.stdout).not.toContain('Errors that remain');
    expect(retried.stdout).not.toContain('ValueError');
  });

  it("a timeout shows where run() was: its frame on the terminal, the stack in job_error.txt", async () => {
    const m = makeModule({ entry: 'hangs', files: ['hang-1'] });
    const r = await runCli([...moduleArgs(m), '--run-invocation-timeout', '500ms', '--run-max-try', '1', '--processes', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(
      "  1 try of mini-batch 0 (hang-1): Timeout: run() did not return within 0.5 s (runInvocationTimeout); worker-0's process group was killed; it was at entry.py:12\n",
    );
    const errors = readFileSync(join(m.runDir, 'logs', 'job_error.txt'), 'utf8');
    expect(errors).toContain('Where run() was, from the stderr log, is below\nStack (most recent call first):\n');
    expect(errors).toMatch(/ {2}File ".*entry\.py", line 12 in run\n/);
  });
});

describe("a failed try's items, worker and logs", () => {
  it('job_error.txt and status name the first files of the mini-batch, "… and N more", the worker and its logs', async () => {
    const m = makeModule({ entry: 'raises', files: ['bad-1', ...names(6)] });
    const r = await runCli([...moduleArgs(m), '--mini-batch-size', '7', '--run-max-try', '2', '--processes', '1']);
    expect(r.exitCode).toBe(1);
    const files = `7 files: ${['bad-1', 'f-000', 'f-001', 'f-002', 'f-003'].map((f) => join(m.data, f)).join(', ')} … and 2 more`;
    const logs = join(m.runDir, 'logs', 'user');
    const workerLogs = [`${logs}/stdout/worker-0.txt`, `${logs}/stderr/worker-0.txt`, `${logs}/entry_script_log/worker-0.txt`];
    const errors = readFileSync(join(m.runDir, 'logs', 'job_error.txt'), 'utf8');
    for (const attempt of [1, 2]) {
      expect(errors).toMatch(new RegExp(`=== \\S+ mini-batch 0, try ${attempt}, worker-0: raised.*\\nitems: ${escape(files)}\\nValueError: cannot score bad-1\\n`));
    }
    expect(errors).toContain(`worker-0's logs: stdout ${workerLogs[0]}, stderr ${workerLogs[1]}, entry script log ${workerLogs[2]}\n`);

    const [text, json] = await Promise.all([runCli(['status', m.runDir]), runCli(['status', m.runDir, '--json'])]);
    expect(text.stdout).toContain(
      '  most common errors:\n' +
        '    2× ValueError (raised) in mini-batch 0; the latest, mini-batch 0 try 2 on worker-0: cannot score bad-1\n' +
        `       items      ${files}\n` +
        `       traceback  ${join(m.runDir, 'logs', 'job_error.txt')}\n` +
        `       logs       ${workerLogs.join(', ')}\n`,
    );
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report.errors[0]).toMatchObject({
      count: 2,
      miniBatches: [0],
      miniBatchCount: 1,
      example: {
        miniBatch: 0,
        attempt: 2,
        worker: 'worker-0',
        items: { count: 7, more: 2, table: null },
        workerLogs: { stdout: workerLogs[0], stderr: workerLogs[1], entryScript: workerLogs[2] },
      },
    });
    expect(report.errors[0]?.example.items?.shown).toHaveLength(5);
  });

  it.skipIf(!hasPandas)("a table's mini-batch is named by its file and byte range", async () => {
    // The fixture iterates over the DataFrame's column names: `bad` raises in every mini-batch.
    const m = makeModule({ entry: 'raises', files: [] });
    const csv = join(m.data, 'rows.csv');
    writeFileSync(csv, 'id,bad\n1,a\n2,b\n3,c\n4,d\n5,e\n6,f\n');
    const r = await runCli([...moduleArgs(m), '--input-format', 'Data=csv', '--mini-batch-size', '3rows', '--run-max-try', '1', '--processes', '1', '--python', PANDAS_PYTHON]);
    expect(r.exitCode).toBe(1);
    const errors = readFileSync(join(m.runDir, 'logs', 'job_error.txt'), 'utf8');
    expect(errors).toMatch(/=== \S+ mini-batch 0, try 1, worker-0: raised, no tries left\n/);
    expect(errors).toContain(`items: ${csv}, bytes 7–19 (3 rows)\n`);
    expect(errors).toContain(`items: ${csv}, bytes 19–31 (3 rows)\n`);
    const status = await runCli(['status', m.runDir]);
    expect(status.stdout).toMatch(new RegExp(`items {6}${escape(csv)}, bytes (7–19|19–31) \\(3 rows\\)\\n`));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('figures after a resume', () => {
  it("tell this resume's work from the whole run's, each with its own items/s and time", async () => {
    // One process, one 300 ms file per mini-batch: killed after its third try, while commits were
    // being written (those of the ledger, `done`, are the earlier work; at least 300 ms each).
    const m = makeModule({ entry: 'hangs', files: names(6, 'sleep-300') });
    const args = [...moduleArgs(m), '--mini-batch-size', '1', '--processes', '1'];
    const killed = await runCli(args, { env: { MINIBATCH_TEST_KILL_AT: 'committed:3' } });
    expect(killed.signal).toBe('SIGKILL');
    const r = await runCli(['resume', m.runDir, '--no-progress']);
    expect(r.exitCode).toBe(0);
    const done = Number(/(\d) of 6 mini-batches already committed/.exec(r.stdout)?.[1]);
    expect(done).toBeGreaterThan(0);
    const left = 6 - done;
    expect(r.stdout).toMatch(
      new RegExp(`\\n {2}this resume {3}${left} items, [\\d.]+ items/s over [\\d.]+ m?s, ${left} tries\\n {2}whole run {5}6 items, [\\d.]+ items/s over [\\d.]+ m?s of work, 6 tries\\n`),
    );
    const result = JSON.parse(readFileSync(join(m.runDir, 'logs', 'job_result.json'), 'utf8')) as JobResult;
    expect(result.thisProcess).toMatchObject({ command: 'resume', items: { succeeded: left, failed: 0 }, tries: left });
    expect(result.thisProcess.itemsPerSecond).toBeCloseTo((left * 1000) / result.durationMs, 5);
    expect(result.wholeRun.workingMs).toBeGreaterThanOrEqual(result.durationMs + done * 300);
    expect(result.wholeRun.itemsPerSecond).toBeCloseTo((6 * 1000) / result.wholeRun.workingMs, 5);
    expect(readFileSync(join(m.runDir, 'logs', 'job_result.txt'), 'utf8')).toMatch(
      new RegExp(`Time: this resume: ${left} items, [\\d.]+ items/s over [\\d.]+ m?s, ${left} tries; whole run: 6 items, [\\d.]+ items/s over [\\d.]+ m?s of work, 6 tries\\.`),
    );
  });
});
