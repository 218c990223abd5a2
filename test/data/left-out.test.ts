/**
 * A run's own outputs and run directory inside an input folder are not its data: they are left out
 * of the listing (and `explain` says so), so that a resumed run does not read its results back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeModule, names } from '../helpers/module.js';

describe('outputs and the run directory inside an input folder', () => {
  it('are left out of the listing, on run and on resume, and explain says so', async () => {
    const m = makeModule({ entry: 'ok', files: names(4), settings: { outputAction: 'append_row' } });
    const out = join(m.data, 'results');
    const runDir = join(m.data, 'run');
    const bindings = ['--input', `Data=${m.data}`, '--output', `Out=${out}`];
    const explain = await runCli(['explain', m.spec, ...bindings]);
    expect(explain.exitCode).toBe(0);
    expect(explain.stdout).toContain(`Data leaves out ${out}: an output of this run, not its data`);
    expect(explain.stdout).toContain('4 items in 1 mini-batch');

    const args = ['run', m.spec, ...bindings, '--run-dir', runDir, '--mini-batch-size', '1', '--processes', '1', '--no-progress'];
    const killed = await runCli(args, { env: { MINIBATCH_TEST_KILL_AT: 'committed:2' } });
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await runCli(['resume', runDir, '--no-progress'], { env: { MINIBATCH_TEST_KILL_AT: undefined } });
    expect(resumed.stderr).toBe('');
    expect(resumed.exitCode).toBe(0);
    expect(resumed.stdout).toContain('4 succeeded, 0 partial, 0 failed, 0 not run (of 4)');
    expect(readFileSync(join(out, 'parallel_run_step.txt'), 'utf8')).toBe(names(4).map((n) => `ok ${n} ${n.length}\n`).join(''));
  });
});
