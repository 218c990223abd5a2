/**
 * What a user watches while a run goes: a progress bar on a
 * terminal, progress lines elsewhere, and `logs/job_progress_overview.txt` either way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { onTerminal } from '../helpers/terminal.js';
import { makeModule, moduleArgs, names } from '../helpers/module.js';

describe('progress', () => {
  it('draws a bar on a terminal: mini-batches and items done of total, failed, items/s, ETA', async () => {
    // Six mini-batches of 150 ms on one worker: the bar is drawn while they run, and at the end.
    const m = makeModule({ entry: 'hangs', files: names(6, 'sleep-150') });
    const args = moduleArgs(m).filter((a) => a !== '--no-progress');
    const { screen, exitCode } = await onTerminal([...args, '--processes', '1', '--mini-batch-size', '1']);
    expect(exitCode).toBe(0);
    expect(screen).toContain(`run directory: ${m.runDir}`);
    // eslint-disable-next-line no-control-regex
    const text = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(text).toMatch(/[0-5]\/6 mini-batches \| items [0-5]\/6 \| failed 0 \| [\d.]+ items\/s \| ETA/);
    expect(text).toMatch(/6\/6 mini-batches \| items 6\/6 \| failed 0 \| [\d.]+ items\/s/);
    expect(text).toContain('Succeeded: Every mini-batch succeeded.');
  });

  it('counts running tries, not those prefetched behind them', async () => {
    // One worker: while it runs one mini-batch, the next waits in its line; a wide terminal shows `running`.
    const m = makeModule({ entry: 'hangs', files: names(4, 'sleep-400') });
    const args = moduleArgs(m).filter((a) => a !== '--no-progress');
    const { screen, exitCode } = await onTerminal([...args, '--processes', '1', '--mini-batch-size', '1'], 160);
    expect(exitCode).toBe(0);
    // eslint-disable-next-line no-control-regex
    const text = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(text).toMatch(/[1-3]\/4 mini-batches \| items [1-3]\/4 \| failed 0 \| running 1 \|/);
    expect(text).not.toMatch(/running [2-9]/);
  });

  it('with --no-progress (or no terminal) writes no bar, and the overview log ends with the final counts', async () => {
    const m = makeModule({ entry: 'ok', files: names(5) });
    const r = await runCli([...moduleArgs(m), '--mini-batch-size', '2', '--processes', '1']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).not.toContain('mini-batches |');
    const overview = readFileSync(join(m.runDir, 'logs', 'job_progress_overview.txt'), 'utf8').trim().split('\n');
    expect(overview.at(-1)).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO mini-batches 3\/3 done, 0 failed; items 5\/5, 0 failed; running 0; [\d.]+ items\/s; ETA /,
    );
  });
});
