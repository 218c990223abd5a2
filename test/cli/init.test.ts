/** `minibatch init [folder]`: a starter module that validates and runs as it is. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('minibatch init', () => {
  it('writes a module that validates and runs as it is, and prints the command to run it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mb-init-'));
    const init = await runCli(['init', 'my-module'], { cwd });
    expect(init.exitCode).toBe(0);
    expect(init.stdout).toContain('run it:      minibatch run my-module/job.yaml\n');
    expect(readFileSync(join(cwd, 'my-module', 'score.py'), 'utf8')).toContain('parser.parse_known_args()');

    const validate = await runCli(['validate', 'my-module/job.yaml'], { cwd });
    expect(validate).toMatchObject({ exitCode: 0, stderr: '' });
    const run = await runCli(['run', 'my-module/job.yaml', '--run-dir', 'run', '--no-progress'], { cwd });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Succeeded: Every mini-batch succeeded.');
    expect(readFileSync(join(cwd, 'run', 'outputs', 'counts', 'parallel_run_step.txt'), 'utf8')).toBe('a.txt 9\nb.txt 6\nc.txt 10\n');
  });

  it('never overwrites: a folder that has the files already is refused (exit 2)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mb-init-'));
    expect((await runCli(['init'], { cwd })).exitCode).toBe(0);
    const again = await runCli(['init'], { cwd });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain(`error: ${cwd} already has module.yaml, job.yaml, score.py`);
  });
});
