/**
 * What the terminal shows around a run: colour (only where it may), `run --json`, and the runs
 * a user made anywhere found again by `runs` and `status`.
 */
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/report/result.js';
import { runCli } from '../helpers/cli.js';
import { makeModule, moduleArgs, names } from '../helpers/module.js';

const GREEN = '\x1b[32m';
const ESC = '\x1b[';

describe('colour', () => {
  it('is on where forced (a terminal), success green and failures yellow', async () => {
    const m = makeModule({ entry: 'raises', files: [...names(3), 'bad-1'] });
    const r = await runCli([...moduleArgs(m), '--mini-batch-size', '1', '--run-max-try', '1', '--processes', '1'], {
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('\x1b[33mSucceeded with failures\x1b[39m: 1 of 4 mini-batches failed');
    const ok = makeModule({ entry: 'ok', files: names(2) });
    const good = await runCli([...moduleArgs(ok), '--processes', '1'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(good.stdout).toContain(`${GREEN}Succeeded\x1b[39m: Every mini-batch succeeded.`);
  });

  it('is off with NO_COLOR, with --no-color (anywhere on the line), and when not a terminal', async () => {
    const m = makeModule({ entry: 'ok', files: names(2) });
    const noColor = await runCli([...moduleArgs(m), '--processes', '1'], { env: { NO_COLOR: '1', FORCE_COLOR: '1' } });
    expect(noColor.stdout).toContain('\nSucceeded: Every mini-batch succeeded.');
    expect(noColor.stdout).not.toContain(ESC);
    const flag = await runCli(['--no-color', ...moduleArgs({ ...m, runDir: `${m.runDir}-2` }), '--processes', '1'], {
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    expect(flag.exitCode).toBe(0);
    expect(flag.stdout).not.toContain(ESC);
    const after = await runCli([...moduleArgs({ ...m, runDir: `${m.runDir}-3` }), '--no-color'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(after.exitCode).toBe(0);
    expect(after.stdout).not.toContain(ESC);
    const piped = await runCli([...moduleArgs({ ...m, runDir: `${m.runDir}-4` })], { env: { NO_COLOR: undefined, FORCE_COLOR: undefined } });
    expect(piped.stdout).not.toContain(ESC);
    expect(piped.stderr).not.toContain(ESC);
  });
});

describe('minibatch run --json', () => {
  it('prints the job result alone on stdout; the run directory and interpreter go to stderr', async () => {
    const m = makeModule({ entry: 'ok', files: names(5) });
    const r = await runCli([...moduleArgs(m), '--json', '--processes', '1']);
    expect(r.exitCode).toBe(0);
    const result = JSON.parse(r.stdout) as JobResult;
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0, items: { total: 5, succeeded: 5, failed: 0 }, warnings: [] });
    expect(r.stderr).toContain(`run directory: ${m.runDir}\npython: `);
  });
});

describe('minibatch run --dry-run', () => {
  it('points at explain, which is what shows a run without running it (exit 2)', async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    const r = await runCli([...moduleArgs(m), '--dry-run']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`error: minibatch run has no --dry-run: \`minibatch explain ${m.spec} …\` (with the same bindings and settings) shows what a run would do (bindings, settings and their sources, the interpreter, the command line, the mini-batches) without running anything\n`);
  });
});
