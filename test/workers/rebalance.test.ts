/**
 * Rebalancing (pool.ts): short run() calls earn a deep prefetch, so a worker may hold a long line
 * of tries that turn out slow. When another worker has nothing to do, the newest half of that line
 * is withdrawn: the host answers `cancelled` for tries it never started, and the scheduler hands
 * them out again.
 */
import { describe, expect, it } from 'vitest';

import type { TryOutcome } from '../../src/core/tries.js';
import { poolsPerTest, readText, task, type Sandbox, type TestPool } from './helpers.js';

let box: Sandbox;
const poolFor = poolsPerTest((b) => (box = b));

const workerOf = (o: TryOutcome): string | null => (o.kind === 'not_started' ? null : o.worker);

/**
 * Two workers, worker-0 ready to take a deep line: a line as deep as a second of work, which short
 * warm-up runs always earn, however loaded the machine is (a run of `sleep-0` can take milliseconds
 * then). They run one at a time, so worker-0 (the first idle one) learns that run() is short;
 * worker-1 has not run anything yet and takes one try at a time.
 */
async function deepLineOnWorker0(): Promise<TestPool> {
  const p = await poolFor('hangs.py', { processCount: 2, prefetchTargetMs: 1000 });
  await Promise.all(['worker-0', 'worker-1'].map((name) => p.event('worker_ready', (e) => e.worker === name)));
  const warm = await box.files(...Array.from({ length: 10 }, (_, i) => `sleep-0-warm-${i}`));
  for (const [i, file] of warm.entries()) expect(await p.run([file], i)).toMatchObject({ worker: 'worker-0' });
  return p;
}

describe('rebalance', () => {
  it('withdraws waiting tries from a busy worker when another is idle; they never started, and run elsewhere', async () => {
    const p = await deepLineOnWorker0();
    // Handed out in one go: one to each idle worker, then the rest wait in worker-0's deep line.
    const files = await box.files(...Array.from({ length: 12 }, (_, i) => `sleep-250-${i}`));
    const outcomes = await Promise.all(files.map((file, i) => p.pool.submit(task([file], i))));
    expect(outcomes.slice(0, 2).map(workerOf)).toEqual(['worker-0', 'worker-1']);

    // worker-1 went idle after its one: the end of worker-0's line came back, never started there.
    const withdrawn = outcomes.filter((o) => o.kind === 'not_started');
    expect(withdrawn.length).toBeGreaterThan(0);
    const stdout = readText(box.paths.stdout('worker-0'));
    for (const o of withdrawn) expect(stdout).not.toContain(`sleeping sleep-250-${o.miniBatch}\n`);

    // Handed out again, as the scheduler does, until every one has run (a line may be rebalanced
    // again meanwhile); worker-1 takes its share.
    const ran = outcomes.filter((o) => o.kind === 'succeeded');
    let left = withdrawn;
    for (let round = 0; left.length > 0 && round < 10; round++) {
      const again = await Promise.all(left.map((o) => p.run([files[o.miniBatch] as string], o.miniBatch)));
      ran.push(...again.filter((o) => o.kind === 'succeeded'));
      left = again.filter((o) => o.kind === 'not_started');
    }
    expect(ran.map((o) => o.miniBatch).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(ran.filter((o) => workerOf(o) === 'worker-1').length).toBeGreaterThan(1);
  });

  it('leaves a deep line of short tries alone while another worker is idle: it ends soon anyway', async () => {
    const p = await deepLineOnWorker0();
    // worker-0 takes a deep line of 2 ms tries (~80 ms of work, well under its 1 s target); worker-1
    // takes one and is idle for most of that time.
    const files = await box.files(...Array.from({ length: 40 }, (_, i) => `sleep-2-${i}`));
    const outcomes = await Promise.all(files.map((file, i) => p.pool.submit(task([file], i))));
    expect(outcomes.filter((o) => o.kind === 'not_started')).toEqual([]);
    expect(outcomes.filter((o) => workerOf(o) === 'worker-1').length).toBe(1);
  });
});
