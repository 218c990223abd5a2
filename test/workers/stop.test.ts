/**
 * Stopping (Executor.stop): graceful lets running tries finish and withdraws
 * prefetched ones; immediate kills now. Either way no try is charged for what was stopped.
 */
import { describe, expect, it } from 'vitest';

import { isAlive, readText, poolsPerTest, task, until, type Sandbox, type TestPool } from './helpers.js';

let box: Sandbox;
const poolFor = poolsPerTest((b) => (box = b));

/** Submits `running` and a prefetched `waiting` to one worker; resolves once `running` is in run(). */
async function runningAndPrefetched(p: TestPool, running: string, waiting: string) {
  const [a, b] = await box.files(running, waiting);
  await p.pool.waitForSlot();
  const first = p.pool.submit(task([a as string], 0));
  await p.pool.waitForSlot();
  const second = p.pool.submit(task([b as string], 1));
  await until(() => readText(box.paths.stdout('worker-0')).includes(`sleeping ${running}`), 60_000, 'run() to start');
  return { first, second };
}

describe('stop', () => {
  it('graceful: the running try finishes, the prefetched one never starts, shutdown() runs', async () => {
    const p = await poolFor('hangs.py');
    const { first, second } = await runningAndPrefetched(p, 'sleep-700', 'sleep-10');
    await p.pool.stop('graceful');
    expect(await first).toMatchObject({ kind: 'succeeded', miniBatch: 0, succeeded: 1 });
    expect(await second).toEqual({ kind: 'not_started', miniBatch: 1, attempt: 1 });
    expect(readText(box.paths.stdout('worker-0'))).not.toContain('sleeping sleep-10');
    expect(p.events.at(-1)).toEqual({ type: 'worker_exited', worker: 'worker-0', exitCode: 0, signal: null, expected: true });
    const log = readText(box.paths.workerLog('worker-0'));
    expect(log).toMatch(/pid \d+: shutdown done\n.*pid \d+: exit code 0 \(stopped\)\n$/);
  });

  it('now: kills the process group at once and every pending try is not_started', async () => {
    // Graces of a minute: a stop that waited for one (or for the 60 s run) could not pass the 20 s
    // bound, which leaves room for a loaded machine.
    const p = await poolFor('hangs.py', { killGraceMs: 60_000, shutdownTimeoutMs: 60_000 });
    const { first, second } = await runningAndPrefetched(p, 'sleep-60000', 'sleep-10');
    const started = Date.now();
    await p.pool.stop('now');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await first).toEqual({ kind: 'not_started', miniBatch: 0, attempt: 1 });
    expect(await second).toEqual({ kind: 'not_started', miniBatch: 1, attempt: 1 });
    expect(p.pids().filter(isAlive)).toEqual([]);
    expect(p.events.at(-1)).toMatchObject({ type: 'worker_exited', signal: 'SIGKILL', expected: true });
  });

  it('a second stop("now") during a graceful stop kills at once (Ctrl-C twice)', async () => {
    const p = await poolFor('hangs.py', { killGraceMs: 60_000, shutdownTimeoutMs: 60_000 });
    const { first } = await runningAndPrefetched(p, 'sleep-60000', 'sleep-10');
    const graceful = p.pool.stop('graceful');
    const started = Date.now();
    await p.pool.stop('now');
    await graceful;
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await first).toMatchObject({ kind: 'not_started', miniBatch: 0 });
  });

  it('kills a worker whose shutdown() does not finish (shutdown_hangs.py)', async () => {
    // A 500 ms shutdown timeout where the default is 30 s: under 20 s, it was the one applied.
    const p = await poolFor('shutdown_hangs.py', { shutdownTimeoutMs: 500 });
    expect((await p.run(await box.files('a'))).kind).toBe('succeeded');
    const started = Date.now();
    await p.pool.stop('graceful');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(p.pids().filter(isAlive)).toEqual([]);
    expect(readText(box.paths.workerLog('worker-0'))).toContain('shutdown() did not finish within 0.5 s: SIGTERM');
  });

  it('after a stop, waitForSlot resolves and submit answers not_started', async () => {
    const p = await poolFor('ok.py', { processCount: 2 });
    await p.pool.stop('graceful');
    await p.pool.waitForSlot();
    expect(await p.pool.submit(task(['x'], 9))).toEqual({ kind: 'not_started', miniBatch: 9, attempt: 1 });
  });

  it('a stop before the workers are ready leaves no process behind', async () => {
    const p = await poolFor('ok.py', { processCount: 2 });
    await p.pool.stop('graceful');
    await until(() => p.pids().every((pid) => !isAlive(pid)), 5000, 'the workers to be gone');
    expect(p.events.filter((e) => e.type === 'worker_init_failed')).toEqual([]);
  });
});
