/**
 * The scheduler's rules, against a small fake executor that answers each try as a script says: the
 * scheduler alone decides what runs again and when a run stops (docs/ARCHITECTURE.md, "Tries").
 * A real ledger (SQLite in a temporary folder); no processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Executor, FailureKind, TryOutcome, TryTask } from '../../src/core/tries.js';
import type { PlannedMiniBatch } from '../../src/data/types.js';
import { Ledger } from '../../src/ledger/sqlite.js';
import type { MiniBatchStatus } from '../../src/ledger/types.js';
import { Scheduler, type SchedulerOptions } from '../../src/run/scheduler.js';

/** What one try of a mini-batch does, in the fake executor's script. */
type Act = 'ok' | 'short' | 'never_started' | FailureKind;

/** Answers the n-th try handed over of mini-batch m with `script[m][n-1]` (or `ok` past its end), two slots at a time. */
class ScriptedExecutor implements Executor {
  readonly tries: { miniBatch: number; attempt: number; act: Act }[] = [];
  private running = 0;
  private freed: (() => void) | null = null;

  constructor(private readonly script: Readonly<Record<number, readonly Act[]>>) {}

  waitForSlot(): Promise<void> {
    if (this.running < 2) return Promise.resolve();
    return new Promise((resolve) => (this.freed = resolve));
  }

  async submit(task: TryTask): Promise<TryOutcome> {
    this.running++;
    const handed = this.tries.filter((t) => t.miniBatch === task.miniBatch).length;
    const act = this.script[task.miniBatch]?.[handed] ?? 'ok';
    this.tries.push({ miniBatch: task.miniBatch, attempt: task.attempt, act });
    await new Promise((resolve) => setImmediate(resolve));
    this.running--;
    this.freed?.();
    this.freed = null;
    return outcomeOf(task, act);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

function outcomeOf(task: TryTask, act: Act): TryOutcome {
  const base = { miniBatch: task.miniBatch, attempt: task.attempt };
  const timing = { worker: 'fake-0', startedAt: 0, durationMs: 1 };
  switch (act) {
    case 'ok':
    case 'short': {
      const succeeded = act === 'ok' ? task.items.length : task.items.length - 1;
      return { kind: 'succeeded', ...base, ...timing, succeeded, rows: null };
    }
    case 'never_started':
      return { kind: 'not_started', ...base };
    default:
      return {
        kind: 'failed',
        ...base,
        ...timing,
        failure: act,
        error: { type: 'ValueError', message: `try ${task.attempt} of ${task.miniBatch}`, traceback: '' },
        exitCode: null,
        signal: null,
      };
  }
}

/** `count` mini-batches of two files each. */
async function* plan(count: number): AsyncIterable<readonly PlannedMiniBatch[]> {
  await Promise.resolve();
  yield Array.from({ length: count }, (_, index) => ({
    index,
    input: 'data',
    key: `key-${index}`,
    items: [0, 1].map((i) => ({ path: `/data/${index}-${i}`, rel: `${index}-${i}`, size: 1, mtimeMs: 0 })),
    slice: null,
  }));
}

let dir: string;
let ledger: Ledger;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mb-rules-'));
  ledger = Ledger.create(dir);
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const settings: SchedulerOptions['settings'] = {
  runMaxTry: 3,
  errorThreshold: -1,
  allowedFailedCount: null,
  allowedFailedPercent: null,
};

async function runWith(script: Record<number, readonly Act[]>, count: number, limits: Partial<SchedulerOptions['settings']> = {}) {
  const executor = new ScriptedExecutor(script);
  const statuses = new Map<number, MiniBatchStatus>();
  const scheduler = new Scheduler({
    ledger,
    executor,
    settings: { ...settings, ...limits },
    plan: plan(count),
    onTry: (t, status) => statuses.set(t.miniBatch, status),
  });
  const result = await scheduler.run();
  const triesOf = (m: number): Act[] => executor.tries.filter((t) => t.miniBatch === m).map((t) => t.act);
  return { result, statuses, triesOf, executor };
}

describe('the scheduler, against a scripted executor', () => {
  it('tries a mini-batch again after it raised, timed out or crashed, and it succeeds on a later try', async () => {
    const { result, statuses, triesOf } = await runWith({ 0: ['raised', 'ok'], 1: ['timeout', 'crash', 'ok'] }, 3);
    expect(triesOf(0)).toEqual(['raised', 'ok']);
    expect(triesOf(1)).toEqual(['timeout', 'crash', 'ok']);
    expect([...statuses.values()]).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(result.counts).toMatchObject({ succeeded: 3, failed: 0, tries: 6 });
  });

  it('gives up on a mini-batch after runMaxTry failed tries and counts all its items as failed', async () => {
    const { result, statuses, triesOf } = await runWith({ 1: ['raised', 'raised', 'raised', 'ok'] }, 2);
    expect(triesOf(1)).toEqual(['raised', 'raised', 'raised']);
    expect(statuses.get(1)).toBe('failed');
    expect(result.counts).toMatchObject({ succeeded: 1, failed: 1, failedItems: 2 });
    expect(result.stop).toBeNull();
  });

  it('requeues a try that never started without charging a try', async () => {
    const { result, triesOf, executor } = await runWith({ 0: ['never_started'] }, 1, { runMaxTry: 1 });
    // Requeued under the same attempt number: runMaxTry 1 still lets it run.
    expect(executor.tries.map((t) => t.attempt)).toEqual([1, 1]);
    expect(triesOf(0)).toEqual(['never_started', 'ok']);
    expect(result.counts).toMatchObject({ succeeded: 1, tries: 1 });
  });

  it('does not retry a short return: the mini-batch is partial and its missing items failed', async () => {
    const { result, statuses, triesOf } = await runWith({ 0: ['short', 'ok'] }, 1);
    expect(triesOf(0)).toEqual(['short']);
    expect(statuses.get(0)).toBe('partial');
    expect(result.counts).toMatchObject({ partial: 1, succeededItems: 1, failedItems: 1, tries: 1 });
  });

  it('stops dispatching once a threshold is exceeded, and says which', async () => {
    const script = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [i, ['raised'] as const]));
    const { result, executor } = await runWith(script, 20, { runMaxTry: 1, allowedFailedCount: 2 });
    expect(result.stop).toMatchObject({ kind: 'threshold', breach: { setting: 'allowedFailedCount', limit: 2 } });
    // Three failures break the limit; what was already running may finish, nothing new starts.
    expect(executor.tries.length).toBeLessThan(20);
    expect(result.counts.failed).toBeGreaterThanOrEqual(3);
    expect(result.counts.pending).toBeGreaterThan(0);
  });

  it('runs to the end while failures stay within the threshold', async () => {
    const { result } = await runWith({ 0: ['raised'], 1: ['raised'] }, 5, { runMaxTry: 1, allowedFailedCount: 2 });
    expect(result.stop).toBeNull();
    expect(result.counts).toMatchObject({ succeeded: 3, failed: 2, pending: 0 });
  });
});
