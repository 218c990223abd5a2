/**
 * Tries reduced to what a page can draw at once: the timeline's bars, throughput buckets and a
 * histogram of durations. Bounded sizes whatever the run's: a run of 100,000 mini-batches becomes at
 * most `MAX_BARS` bars, `THROUGHPUT_BUCKETS` points and `HISTOGRAM_BINS` bins.
 */
import type { TryTuple } from '../../ledger/history.js';
import { OUTCOMES, type Bar, type HistogramView, type OutcomeName, type ThroughputView, type TimelineView } from './view.js';

/** Bars drawn one per try up to this many tries; beyond it, short succeeded tries merge. */
export const MAX_BARS = 4000;
const THROUGHPUT_BUCKETS = 240;
const HISTOGRAM_BINS = 40;
const LAST_MINUTE_MS = 60_000;

/** The machine part of a worker's name: `<host>-<pid>` on Redis (`host-1234-worker-0`), `local` otherwise. */
export function machineOf(worker: string): string {
  const at = worker.lastIndexOf('-worker-');
  return at > 0 ? worker.slice(0, at) : 'local';
}

function outcomeCode(outcome: string): number {
  const i = OUTCOMES.indexOf(outcome as OutcomeName);
  return i < 0 ? OUTCOMES.indexOf('crash') : i;
}

/** Tries sorted by worker then start (as `readTries` returns them), as lanes of bars. */
export function buildTimeline(tries: readonly TryTuple[], now: number | null): TimelineView | null {
  if (tries.length === 0) return null;
  const { start, end } = spanOf(tries, now);
  const workers = [...new Set(tries.map((t) => t[0]))].sort((a, b) => machineOf(a).localeCompare(machineOf(b)) || compareWorkers(a, b));
  const laneOf = new Map(workers.map((w, i) => [w, i] as const));
  // A merged bar spans at most `mergeWithin`, so each lane holds about span / mergeWithin of them,
  // plus the failures between them. Failures stay bars of their own, however short (they are what
  // a reader looks for), unless there are so many that they too must merge.
  const failures = tries.reduce((n, t) => n + (t[3] === 'succeeded' ? 0 : 1), 0);
  const keepFailures = failures <= MAX_BARS / 4;
  const budget = MAX_BARS - (keepFailures ? 2 * failures : 0);
  const mergeWithin = tries.length > MAX_BARS ? Math.max(1, ((end - start) * workers.length) / (budget / 2)) : 0;
  const bars: Bar[] = [];
  let open: [number, number, number, number, number, number, number, number] | null = null;
  const close = (): void => {
    if (open !== null) bars.push(open);
    open = null;
  };
  for (const [worker, startedAt, durationMs, outcome, miniBatch, attempt, , items] of tries) {
    const lane = laneOf.get(worker) ?? 0;
    const s = startedAt - start;
    const e = s + durationMs;
    const code = outcomeCode(outcome);
    const mergeable = code === 0 || !keepFailures;
    if (open !== null && mergeable && open[3] === code && open[0] === lane && s - open[2] <= mergeWithin && e - open[1] <= mergeWithin) {
      open[2] = Math.max(open[2], e);
      open[6] += 1;
      open[7] += items;
      continue;
    }
    close();
    open = [lane, s, e, code, miniBatch, attempt, 1, items];
  }
  close();
  return { start, end, lanes: workers.map((worker) => ({ worker, machine: machineOf(worker) })), bars, tries: tries.length };
}

/** From the first try's start to the last one's end, or to `now` while the run is live. */
function spanOf(tries: readonly TryTuple[], now: number | null): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (const t of tries) {
    start = Math.min(start, t[1]);
    end = Math.max(end, t[1] + t[2]);
  }
  return { start, end: now === null ? end : Math.max(end, now) };
}

/** `worker-2` before `worker-10`. */
function compareWorkers(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Items settled per second over time, by the tries' end times. */
export function buildThroughput(tries: readonly TryTuple[], now: number | null): ThroughputView | null {
  if (tries.length === 0) return null;
  const { start, end } = spanOf(tries, now);
  // Whole quarter seconds below a second, whole seconds above: round numbers on the axis.
  const raw = (end - start) / THROUGHPUT_BUCKETS;
  const bucketMs = raw <= 1000 ? Math.max(250, Math.ceil(raw / 250) * 250) : Math.ceil(raw / 1000) * 1000;
  const n = Math.max(1, Math.ceil((end - start + 1) / bucketMs));
  const items = new Array<number>(n).fill(0);
  const failed = new Array<number>(n).fill(0);
  for (const t of tries) {
    const b = Math.min(n - 1, Math.floor((t[1] + t[2] - start) / bucketMs));
    items[b] = (items[b] ?? 0) + t[6];
    if (t[3] !== 'succeeded') failed[b] = (failed[b] ?? 0) + 1;
  }
  return { start, bucketMs, itemsPerSecond: items.map((i) => (i * 1000) / bucketMs), failedTries: failed };
}

/** Items settled per second from the first try to the end, and in the last minute before it. */
export function rates(tries: readonly TryTuple[], now: number | null): { wholeRun: number | null; lastMinute: number | null; elapsedMs: number } {
  if (tries.length === 0) return { wholeRun: null, lastMinute: null, elapsedMs: 0 };
  let start = Infinity;
  let end = -Infinity;
  let items = 0;
  for (const t of tries) {
    start = Math.min(start, t[1]);
    end = Math.max(end, t[1] + t[2]);
    items += t[6];
  }
  if (now !== null) end = Math.max(end, now);
  let recent = 0;
  for (const t of tries) if (t[1] + t[2] > end - LAST_MINUTE_MS) recent += t[6];
  const elapsedMs = end - start;
  return {
    wholeRun: elapsedMs > 0 ? (items * 1000) / elapsedMs : null,
    lastMinute: (recent * 1000) / Math.min(LAST_MINUTE_MS, Math.max(elapsedMs, 1)),
    elapsedMs,
  };
}

/** Mini-batch durations in `HISTOGRAM_BINS` equal bins from the shortest to the longest. */
export function buildHistogram(durations: readonly number[]): HistogramView | null {
  if (durations.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  for (const d of durations) {
    min = Math.min(min, d);
    max = Math.max(max, d);
  }
  const binMs = Math.max(1, Math.ceil((max - min + 1) / HISTOGRAM_BINS));
  const counts = new Array<number>(Math.min(HISTOGRAM_BINS, Math.ceil((max - min + 1) / binMs))).fill(0);
  for (const d of durations) {
    const b = Math.min(counts.length - 1, Math.floor((d - min) / binMs));
    counts[b] = (counts[b] ?? 0) + 1;
  }
  return { start: min, binMs, counts };
}
