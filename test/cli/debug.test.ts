/** `minibatch debug`: init() and one run() in the foreground, then how it would count. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeModule, names } from '../helpers/module.js';

describe('minibatch debug', () => {
  it('runs the chosen mini-batch and says how it would count', async () => {
    const m = makeModule({ entry: 'two_arg', files: names(6) });
    const r = await runCli(['debug', m.spec, '--input', `Data=${m.data}`, '--mini-batch-size', '2', '--mini-batch', '2'], {
      cwd: m.root,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('minibatch debug: mini-batch 2 (2 items of Data)');
    expect(r.stdout).toContain('calling run() on mini-batch 2 (2 items) with a mini_batch_context');
    expect(r.stdout).toContain('counted: 2 of 2 items succeeded, 0 failed');
  });

  it('shows the traceback of a run() that raises and exits 1', async () => {
    const m = makeModule({ entry: 'raises', files: ['bad-1'] });
    const r = await runCli(['debug', m.spec, '--input', `Data=${m.data}`], { cwd: m.root });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('run() raised ValueError: cannot score bad-1');
    expect(r.stderr).toContain('Traceback (most recent call last)');
  });

  it('names the valid range when the mini-batch does not exist', async () => {
    const m = makeModule({ entry: 'ok', files: names(3) });
    const r = await runCli(['debug', m.spec, '--input', `Data=${m.data}`, '--mini-batch', '5'], { cwd: m.root });
    expect(r.stderr).toContain('--mini-batch 5 does not exist: the plan has 1 mini-batches (0 to 0)');
    expect(r.exitCode).toBe(2);
  });
});
