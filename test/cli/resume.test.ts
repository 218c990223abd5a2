/**
 * `minibatch resume` as a user meets it: a finished run changes nothing, flags that would
 * change the run are refused, a threshold stop resumes only once raised, changed and new inputs are
 * counted and run, overrides land in run.json.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../data/tree.js';
import { callsOf, cli, expectedRows, expectExit, fileNames, makeJob, rowsOf } from '../run/helpers.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('minibatch-resume-');
});
afterAll(() => tmp.cleanup());

describe.concurrent('minibatch resume', () => {
  it('a finished run changes nothing and exits with its recorded code; meaning-changing flags are refused', async () => {
    const files = fileNames(4);
    const job = makeJob(join(tmp.dir, 'finished'), { files });
    const runDir = join(job.root, 'run');
    expectExit(await cli(job.runArgs(runDir)), 0);
    const resultFile = join(runDir, 'logs', 'job_result.json');
    const before = statSync(resultFile).mtimeMs;

    const again = await cli(['resume', runDir]);
    expectExit(again, 0);
    expect(again.stdout).toContain('has already finished: SUCCEEDED. Every mini-batch succeeded.');
    expect(again.stdout).toContain('Nothing changed (exit code 0, as recorded).');
    expect(callsOf(job)).toHaveLength(2);
    expect(statSync(resultFile).mtimeMs).toBe(before);

    const refused = await cli(['resume', runDir, '--mini-batch-size', '5', '--input', 'Data=/elsewhere', '--limit', '1', '--processes', '1']);
    expectExit(refused, 2);
    expect(refused.stderr).toContain('--input, --mini-batch-size, --limit would change them');
    expect(refused.stderr).toContain('resume accepts: --processes, --nodes, --run-invocation-timeout');

    // A local run continues here: it cannot move to Redis, nor do without Python on this machine.
    const toRedis = await cli(['resume', runDir, '--backend', 'redis://:s3cret@127.0.0.1:1']);
    expectExit(toRedis, 2);
    expect(toRedis.stderr).toContain(`${runDir} ran on this machine, and continues here: --backend cannot move it to Redis`);
    expect(toRedis.stderr).toContain('`minibatch run … --backend redis://127.0.0.1:1/0`');
    expect(toRedis.stderr).not.toContain('s3cret');
    const noPython = await cli(['resume', runDir, '--processes', '0']);
    expectExit(noPython, 2);
    expect(noPython.stderr).toContain(`--processes 0 runs no Python on this machine: only a run on Redis can do without; ${runDir} runs here`);

    const missing = await cli(['resume', join(job.root, 'nope')]);
    expectExit(missing, 2);
    expect(missing.stderr).toContain(`${join(job.root, 'nope')} is not a run directory: it does not exist`);
  });

  it('a run stopped by a threshold resumes only once the threshold is raised', async () => {
    const files = [...fileNames(10), 'f03bad.txt'];
    const job = makeJob(join(tmp.dir, 'threshold'), { files, sleepMs: 50 });
    const runDir = join(job.root, 'run');
    const stopped = await cli(job.runArgs(runDir, ['--run-max-try', '1', '--allowed-failed-count', '0']));
    expectExit(stopped, 1);
    expect(stopped.stdout).toContain('1 mini-batches failed, more than allowedFailedCount 0');

    const same = await cli(['resume', runDir, '--allowed-failed-count', '0']);
    expectExit(same, 1);
    expect(same.stdout).toContain('stopped on a threshold, and resuming it would stop again at once');
    expect(same.stdout).toContain(`minibatch resume ${runDir} --allowed-failed-count 1`);

    const raised = await cli(['resume', runDir, '--allowed-failed-count', '1', '--no-progress']);
    expectExit(raised, 0);
    expect(raised.stdout).toContain('resuming: it stopped on allowedFailedCount 0, now raised');
    expect(raised.stdout).toContain('1 mini-batches failed, within the thresholds.');
    // The failed mini-batch (f03bad, f04) stays failed: retry-failed is what runs it again.
    expect(rowsOf(runDir)).toEqual(expectedRows(files).filter((r) => !/^(f03bad|f04)\.txt/.test(r)));
    const runJson = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as {
      job: { settings: { allowedFailedCount: number }; settingSources: { allowedFailedCount: string } };
    };
    expect(runJson.job.settings.allowedFailedCount).toBe(1);
    expect(runJson.job.settingSources.allowedFailedCount).toBe('flag');
  });

  it('says what changed in the inputs, in counts, and runs only that', async () => {
    const files = fileNames(10);
    const job = makeJob(join(tmp.dir, 'changed'), { files });
    const runDir = join(job.root, 'run');
    // Every try committed, killed before finalize: then the inputs change.
    expectExit(await cli(job.runArgs(runDir), { MINIBATCH_TEST_KILL_AT: 'scheduled' }), 'SIGKILL');
    writeFileSync(join(job.data, 'f03.txt'), 'changed content\n');
    rmSync(join(job.data, 'f08.txt'));
    for (const name of ['z1.txt', 'z2.txt', 'z3.txt']) writeFileSync(join(job.data, name), `content of ${name}\n`);
    const seen = callsOf(job).length;

    const resumed = await cli(['resume', runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(resumed.stdout).toContain(
      'inputs changed since the run was planned: 1 file changed (1 mini-batch will run again), ' +
        '3 new files (2 new mini-batches at the end), 1 file vanished (0 pending mini-batches run without them, 0 dropped; finished ones keep their outcome)',
    );
    expect(resumed.stdout).toContain('4 of 7 mini-batches already committed');
    // Only the changed mini-batch (f02, f03) and the two new ones ran.
    expect(callsOf(job).slice(seen).sort()).toEqual([1, 5, 6]);
    const rows = expectedRows(files).map((r) => (r.startsWith('f03.txt') ? 'f03.txt changed content' : r));
    expect(rowsOf(runDir)).toEqual([...rows, ...expectedRows(['z1.txt', 'z2.txt', 'z3.txt'])]);
  });

  it('a killed run resumes with new settings, recorded in run.json', async () => {
    const files = fileNames(8);
    const job = makeJob(join(tmp.dir, 'settings'), { files });
    const runDir = join(job.root, 'run');
    expectExit(await cli(job.runArgs(runDir), { MINIBATCH_TEST_KILL_AT: 'dispatched:2' }), 'SIGKILL');
    const resumed = await cli(['resume', runDir, '--run-max-try', '5', '--processes', '1', '--run-invocation-timeout', '20s', '--no-progress']);
    expectExit(resumed, 0);
    expect(resumed.stdout).toContain('resuming: it stopped without recording an outcome (killed, or its machine stopped)');
    const { job: saved } = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as {
      job: { settings: Record<string, unknown>; settingSources: Record<string, string> };
    };
    expect(saved.settings).toMatchObject({ runMaxTry: 5, processCountPerNode: 1, runInvocationTimeoutMs: 20_000, initTimeoutMs: 90_000 });
    expect(saved.settingSources).toMatchObject({ runMaxTry: 'flag', processCountPerNode: 'flag', initTimeoutMs: 'default' });
    expect(rowsOf(runDir)).toEqual(expectedRows(files));
  });

  it('a ledger whose creation was cut short (an empty state.db) is started afresh', async () => {
    const files = fileNames(4);
    const job = makeJob(join(tmp.dir, 'blank-ledger'), { files });
    const runDir = join(job.root, 'run');
    expectExit(await cli(job.runArgs(runDir), { MINIBATCH_TEST_KILL_AT: 'run-json' }), 'SIGKILL');
    writeFileSync(join(runDir, 'state.db'), ''); // as a full disk leaves it
    const resumed = await cli(['resume', runDir]);
    expectExit(resumed, 0);
    expect(rowsOf(runDir)).toEqual(expectedRows(files));
  });

  it('a setting refused on resume (an interpreter that is not there) is not recorded', async () => {
    const job = makeJob(join(tmp.dir, 'bad-python'), { files: fileNames(2) });
    const runDir = join(job.root, 'run');
    expectExit(await cli(job.runArgs(runDir), { MINIBATCH_TEST_KILL_AT: 'run-json' }), 'SIGKILL');
    expectExit(await cli(['resume', runDir, '--python', '/nonexistent/python3']), 3);
    expect(readFileSync(join(runDir, 'run.json'), 'utf8')).not.toContain('/nonexistent/python3');
    expectExit(await cli(['resume', runDir]), 0);
  });
});
