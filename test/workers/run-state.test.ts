/**
 * The run-state file (run-state.ts, `RunStateFile` in the host): which run a worker's host is in and since
 * when, written through a shared mapping; its id negated once the run has ended and the host waits
 * for its pipe. The pool charges deaths and timeouts by it, and judges what a worker has left to run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { monotonicMs } from '../../src/workers/run-state.js';
import { poolsPerTest, task, type Sandbox } from './helpers.js';

let box: Sandbox;
const poolFor = poolsPerTest((b) => (box = b));

function stateOf(file: string): { id: number; startedMs: number } {
  const bytes = readFileSync(file);
  return { id: bytes.readDoubleLE(0), startedMs: bytes.readDoubleLE(8) };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('run-state file', () => {
  it('says which run the host is in while it runs, and that it ended once the host waits', async () => {
    const p = await poolFor('hangs.py', { processCount: 1 });
    const file = box.paths.workerState('worker-0');
    const [slow] = await box.files('sleep-400');
    const before = monotonicMs();
    const outcome = p.pool.submit(task([slow as string], 0));
    await until(() => stateOf(file).id > 0);
    const running = stateOf(file);
    expect(running.id).toBe(1);
    expect(running.startedMs).toBeGreaterThanOrEqual(before - 1);
    expect(await outcome).toMatchObject({ kind: 'succeeded' });
    // Answered: the host waits for its pipe, and the file says that run has ended (same start).
    await until(() => stateOf(file).id < 0);
    expect(stateOf(file)).toEqual({ id: -1, startedMs: running.startedMs });
  });
});
