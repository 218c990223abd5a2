/**
 * What reaches the page of a big run: 100,000 mini-batches on 16 workers become at most a few
 * thousand bars (failures kept one by one), a few hundred throughput points and 40 histogram bins,
 * in well under a second.
 */
import { describe, expect, it } from 'vitest';
import type { TryTuple } from '../../src/ledger/history.js';
import { buildHistogram, buildThroughput, buildTimeline, machineOf, MAX_BARS, rates } from '../../src/ui/data/aggregate.js';

/** `n` tries of 1 item each, round-robin over `workers`, each 50–150 ms; every 1000th raised. */
function bigRun(n: number, workers: number): TryTuple[] {
  const ends = new Array<number>(workers).fill(1_700_000_000_000);
  const tries: TryTuple[] = [];
  for (let i = 0; i < n; i++) {
    const w = i % workers;
    const start = ends[w] ?? 0;
    const duration = 50 + ((i * 37) % 101);
    ends[w] = start + duration + 1;
    tries.push([`worker-${w}`, start, duration, i % 1000 === 999 ? 'raised' : 'succeeded', i, 1, 1, 1]);
  }
  return tries.sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
}

describe('aggregating tries for the page', () => {
  it('100,000 mini-batches: bounded bars, every failure a bar of its own, one lane per worker', () => {
    const tries = bigRun(100_000, 16);
    const started = performance.now();
    const timeline = buildTimeline(tries, null);
    const throughput = buildThroughput(tries, null);
    const histogram = buildHistogram(tries.map((t) => t[2]));
    const elapsed = performance.now() - started;
    expect(timeline?.lanes.map((l) => l.worker)).toEqual(Array.from({ length: 16 }, (_, i) => `worker-${i}`));
    expect(timeline?.tries).toBe(100_000);
    expect(timeline?.bars.length).toBeLessThanOrEqual(MAX_BARS);
    const failed = timeline?.bars.filter((b) => b[3] !== 0) ?? [];
    expect(failed).toHaveLength(100);
    expect(failed.every((b) => b[6] === 1)).toBe(true);
    // Merged bars account for every try.
    expect(timeline?.bars.reduce((n, b) => n + b[6], 0)).toBe(100_000);
    expect(throughput?.itemsPerSecond.length).toBeLessThanOrEqual(241);
    expect(throughput?.itemsPerSecond.reduce((n, v) => n + (v * (throughput.bucketMs / 1000)), 0)).toBeCloseTo(100_000, 0);
    expect(histogram?.counts.reduce((a, b) => a + b, 0)).toBe(100_000);
    expect(histogram?.counts.length).toBeLessThanOrEqual(40);
    // Linear, not quadratic: about 0.1 s on an idle machine; generous for a loaded one.
    expect(elapsed).toBeLessThan(5000);
  });

  it('a small run: one bar per try, nothing merged', () => {
    const tries: TryTuple[] = [
      ['worker-0', 1000, 100, 'succeeded', 0, 1, 2, 2],
      ['worker-0', 1101, 100, 'timeout', 1, 1, 0, 3],
      ['worker-1', 1000, 300, 'succeeded', 2, 1, 2, 2],
    ];
    const timeline = buildTimeline(tries, null);
    expect(timeline?.bars).toEqual([
      [0, 0, 100, 0, 0, 1, 1, 2],
      [0, 101, 201, 2, 1, 1, 1, 3],
      [1, 0, 300, 0, 2, 1, 1, 2],
    ]);
    // A failed try that will be tried again settles no item.
    expect(rates(tries, null)).toEqual({ wholeRun: (4 * 1000) / 300, lastMinute: (4 * 1000) / 300, elapsedMs: 300 });
  });

  it('names the machine of a worker on Redis by its agent', () => {
    expect(machineOf('gpu-box-1-4242-worker-3')).toBe('gpu-box-1-4242');
    expect(machineOf('worker-3')).toBe('local');
  });
});
