/**
 * Faults: timeouts counted from a run's start, crashes, replacement in the same
 * slot, init failures and the pool's 3 × N rule. Each is an outcome or an error a user can act on.
 */
import { describe, expect, it } from 'vitest';

import { RunFailedError } from '../../src/core/errors.js';
import type { TryOutcome } from '../../src/core/tries.js';
import { isAlive, readText, poolsPerTest, task, until, type Sandbox, type TestPool } from './helpers.js';

let box: Sandbox;
const poolFor = poolsPerTest((b) => (box = b));

function failed(outcome: TryOutcome): Extract<TryOutcome, { kind: 'failed' }> {
  if (outcome.kind !== 'failed') throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** Mini-batches 0 and 1 in one worker's line, as the scheduler sends them: 1 waits behind 0. */
async function inLine(p: TestPool, first: string[], second: string[]): Promise<[Promise<TryOutcome>, Promise<TryOutcome>]> {
  await p.pool.waitForSlot();
  const running = p.pool.submit(task(first, 0));
  await p.pool.waitForSlot();
  return [running, p.pool.submit(task(second, 1))];
}

describe('run() timeout', () => {
  it('kills a run() that exceeds runInvocationTimeout, says where it was, and replaces the worker (hangs.py)', async () => {
    const p = await poolFor('hangs.py', { runInvocationTimeoutMs: 1000 });
    const [hang] = await box.files('sleep-60000');
    const started = Date.now();
    const outcome = failed(await p.run([hang as string]));
    // Killed at its 1 s timeout, not after its 60 s sleep; the margin is for a loaded machine.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(outcome.failure).toBe('timeout');
    expect(outcome.signal).toBe('SIGTERM');
    expect(outcome.durationMs).toBeGreaterThanOrEqual(1000);
    expect(outcome.error.type).toBe('Timeout');
    expect(outcome.error.message).toContain('run() did not return within 1 s (runInvocationTimeout)');
    // faulthandler's dump on SIGTERM: the line run() was stuck on.
    expect(outcome.error.traceback).toMatch(/hangs\.py", line \d+ in run/);
    expect(outcome.error.traceback).not.toMatch(/minibatch_host\.py/); // the host's own frames are left out
    const [first] = p.pids();
    await p.event('worker_started', (e) => e.pid !== first);
    await p.event('worker_ready', () => p.events.filter((e) => e.type === 'worker_ready').length === 2);
    await until(() => !isAlive(first as number), 5000, 'the timed-out worker to be gone');
    await p.pool.stop('graceful'); // flushes the lifecycle log
    const log = readText(box.paths.workerLog('worker-0'));
    expect(log).toContain('ran longer than 1 s (runInvocationTimeout): SIGTERM to the process group');
    expect(log).toContain(`pid ${first}: exit signal SIGTERM`);
    expect(log).toContain('replacing the worker (process 2 of this slot)');
  });

  it('times out the run in progress even when the answers before it are still held in the host (holds_gil.py)', async () => {
    // fine-0's answer waits in the host to leave with others; hang-1 keeps the GIL, so it never
    // leaves. The run-state file says hang-1 is the one running: it is charged, fine-0 is not.
    const p = await poolFor('holds_gil.py', { runInvocationTimeoutMs: 1000 });
    const [fine, hang] = await box.files('fine-0', 'hang-1');
    const [first, second] = await inLine(p, [fine as string], [hang as string]);
    const outcome = failed(await second);
    expect(outcome).toMatchObject({ failure: 'timeout', miniBatch: 1, signal: 'SIGTERM' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(1000);
    // Answered before the hang, or lost with the process and run again: never charged.
    expect(['succeeded', 'not_started']).toContain((await first).kind);
  });

  it("counts the timeout from the run's start: a prefetched run that waited does not time out", async () => {
    // Each run takes 1.2 s; the second waits 1.2 s behind the first: 2.4 s from dispatch, under 2 s of its own.
    const p = await poolFor('hangs.py', { runInvocationTimeoutMs: 2000 });
    const [a, b] = await box.files('sleep-1200-a', 'sleep-1200-b');
    const dispatched = Date.now();
    const outcomes = await Promise.all(await inLine(p, [a as string], [b as string]));
    expect(Date.now() - dispatched).toBeGreaterThan(2000);
    expect(outcomes.map((o) => o.kind)).toEqual(['succeeded', 'succeeded']);
    expect(p.pids()).toHaveLength(1);
  });
});

describe('crashes', () => {
  it('fails the running try as a crash with the exit code and stderr, and the prefetched one never started (crashes.py)', async () => {
    const p = await poolFor('crashes.py');
    const [exit, fine] = await box.files('exit-now', 'fine');
    const [crashing, prefetched] = await inLine(p, [fine as string, exit as string], [fine as string]);
    const outcome = failed(await crashing);
    expect(outcome.failure).toBe('crash');
    expect(outcome).toMatchObject({ exitCode: 7, signal: null, miniBatch: 0, attempt: 1, worker: 'worker-0' });
    expect(outcome.error.type).toBe('Crash');
    expect(outcome.error.message).toMatch(/^worker-0 \(pid \d+\) exited with code 7 while running mini-batch 0 \(try 1\)/);
    expect(outcome.error.message).toContain('about to exit on exit-now');
    expect(await prefetched).toEqual({ kind: 'not_started', miniBatch: 1, attempt: 1 });
  });

  it('charges a crash to the run in progress, not to one whose answer died with the process (holds_gil.py)', async () => {
    const p = await poolFor('holds_gil.py');
    const [fine, exit] = await box.files('fine-0', 'exit-1');
    const [first, second] = await inLine(p, [fine as string], [exit as string]);
    expect(failed(await second)).toMatchObject({ failure: 'crash', exitCode: 7, miniBatch: 1, attempt: 1 });
    expect(['succeeded', 'not_started']).toContain((await first).kind);
  });

  it('sends an answer while a long run() that followed it goes on (hangs.py)', async () => {
    const p = await poolFor('hangs.py');
    const [quick, slow] = await box.files('sleep-0', 'sleep-1500');
    const [first, second] = await inLine(p, [quick as string], [slow as string]);
    let slowDone = false;
    void second.then(() => (slowDone = true));
    expect((await first).kind).toBe('succeeded');
    expect(slowDone).toBe(false); // not held until the slow run ends
    expect((await second).kind).toBe('succeeded');
  });

  it('replaces a crashed worker in the same slot with the same name (crashes.py)', async () => {
    const p = await poolFor('crashes.py', { processCount: 2 });
    const [kill, fine] = await box.files('kill-me', 'fine');
    const outcome = failed(await p.run([kill as string]));
    expect(outcome).toMatchObject({ failure: 'crash', signal: 'SIGKILL', exitCode: null });
    expect(outcome.error.message).toContain('(killed: out of memory? see `dmesg`)');
    const crashedSlot = outcome.worker;
    await until(() => p.pids().length === 3, 60_000, 'a replacement worker');
    await p.event('worker_ready', () => p.events.filter((e) => e.type === 'worker_ready').length === 3);
    // Fill both workers; each row says which worker, slot and pid ran it.
    const results = await Promise.all([p.run([fine as string]), p.run([fine as string])]);
    const rows = results.flatMap((r) => (r.kind === 'succeeded' && r.rows?.kind === 'lines' ? r.rows.lines : []));
    const replacement = rows.find((r) => r.startsWith(crashedSlot));
    expect(replacement).toBeDefined();
    const [name, slot, pid] = (replacement as string).split(' ');
    expect(slot).toBe(crashedSlot.replace('worker-', ''));
    expect(name).toBe(crashedSlot);
    expect(Number(pid)).toBe(p.pids()[2]);
  });
});

describe('protocol errors', () => {
  it('kills a worker whose fd 4 carries garbage and fails its try as a crash (writes_fd4.py)', async () => {
    const p = await poolFor('writes_fd4.py');
    const outcome = failed(await p.run(await box.files('a')));
    expect(outcome).toMatchObject({ failure: 'crash', signal: 'SIGKILL' });
    expect(outcome.error.message).toContain(
      'after a protocol error (not JSON: this is not a protocol message; does user code write to fd 4?)',
    );
  });
});

describe('init failures', () => {
  it('replaces a worker whose init() raised, then gives up after 3 × N with the traceback (init_raises.py)', async () => {
    const p = await poolFor('init_raises.py', { processCount: 2 });
    const error = await p.pool.waitForSlot().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RunFailedError);
    const message = (error as RunFailedError).message;
    expect(message).toContain('the workers cannot start: 6 init failures in a row (the limit is 3 × processCountPerNode = 6)');
    expect(message).toContain('no worker ever became ready');
    expect(message).toContain('FileNotFoundError: model.pkl is missing');
    expect(message).toContain('init_raises.py", line 5, in load_model');
    // The sixth failure ends the pool; the other worker's init may already be failing too.
    expect(p.events.filter((e) => e.type === 'worker_init_failed').length).toBeGreaterThanOrEqual(6);
    await expect(p.pool.waitForSlot()).rejects.toBe(error);
    expect(await p.pool.submit(task(['x'], 3))).toEqual({ kind: 'not_started', miniBatch: 3, attempt: 1 });
    await p.pool.stop('graceful');
    expect(p.pids().filter(isAlive)).toEqual([]);
    const log = readText(box.paths.workerLog('worker-0'));
    expect(log).toMatch(/pid \d+: init failed: FileNotFoundError: model.pkl is missing\n {4}Traceback/);
    expect(log).toMatch(/pid \d+: exit code 3/);
  });

  it('kills an init() that exceeds initTimeout and reports where it was (init_hangs.py)', async () => {
    const p = await poolFor('init_hangs.py', { processCount: 1, initTimeoutMs: 700 });
    const error = await p.pool.waitForSlot().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(RunFailedError);
    expect(error?.message).toContain('3 init failures in a row');
    expect(error?.message).toContain('InitTimeout: init() did not finish within 0.7 s (initTimeout)');
    expect(error?.message).toMatch(/init_hangs\.py", line \d+ in init/);
    await p.pool.stop('now');
    expect(readText(box.paths.workerLog('worker-0'))).toContain('init() did not finish within 0.7 s (initTimeout): SIGTERM');
  });
});
