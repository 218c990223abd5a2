/**
 * What the web view and the HTML report show of a run: one `RunPageData`, built on the server from the
 * run directory (run-view.ts) and drawn by the page (src/ui/page/). Everything heavy is aggregated
 * here, on the server: a run of 100,000 mini-batches reaches the page as a few thousand numbers.
 * The page imports these types only.
 */
import type { StatusReport } from '../../report/status.js';

/** Outcome codes of a timeline bar; the page colours them. */
export const OUTCOMES = ['succeeded', 'raised', 'timeout', 'crash', 'bad_return', 'partial'] as const;
export type OutcomeName = (typeof OUTCOMES)[number];

/**
 * A bar of the timeline: `[lane, startMs, endMs, outcome, miniBatch, attempt, count, items]`, times
 * relative to `TimelineView.start`. `count` > 1 when consecutive tries of one worker with one outcome,
 * too short to see apart, were merged into one bar (`miniBatch` is then the first of them); `items`
 * counts the items of its mini-batches.
 */
export type Bar = readonly [lane: number, startMs: number, endMs: number, outcome: number, miniBatch: number, attempt: number, count: number, items: number];

export interface TimelineView {
  /** Epoch ms of the first try's start. */
  readonly start: number;
  /** Epoch ms of the last try's end (or now, while live). */
  readonly end: number;
  /** One lane per worker, grouped by machine (the agent on Redis; `local` otherwise). */
  readonly lanes: readonly { readonly worker: string; readonly machine: string }[];
  readonly bars: readonly Bar[];
  /** Tries in all; more than `bars` when short ones were merged. */
  readonly tries: number;
}

export interface ThroughputView {
  /** Epoch ms of the first bucket's start. */
  readonly start: number;
  readonly bucketMs: number;
  /** Per bucket: items settled per second, and failed tries in it. */
  readonly itemsPerSecond: readonly number[];
  readonly failedTries: readonly number[];
}

export interface HistogramView {
  /** Lower bound of the first bin, ms. */
  readonly start: number;
  readonly binMs: number;
  /** Mini-batches per bin. */
  readonly counts: readonly number[];
}

export interface ProgressView {
  readonly doneItems: number;
  readonly totalItems: number;
  readonly etaMs: number | null;
  /** Items settled per second from the first try to the last (or now, while live). */
  readonly wholeRunPerSecond: number | null;
  /** Items settled per second in the last minute (of activity, once the run ended). */
  readonly lastMinutePerSecond: number | null;
  /** Elapsed from the first try's start to the last try's end (or now, while live). */
  readonly elapsedMs: number;
}

export interface FailureView {
  readonly outcome: string;
  readonly type: string;
  readonly message: string;
  readonly count: number;
  readonly example: {
    readonly miniBatch: number;
    readonly attempt: number;
    readonly worker: string;
    readonly durationMs: number;
    readonly message: string;
    readonly traceback: string;
    /** The first items of the mini-batch (paths relative to their input), and how many it has. */
    readonly items: readonly string[];
    readonly itemCount: number;
    /** The last lines of the worker's stderr. */
    readonly workerLogTail: string;
    /** That log, relative to the run directory. */
    readonly workerLog: string;
  };
}

export interface JobView {
  readonly module: { readonly name: string; readonly version: string; readonly file: string };
  readonly jobFile: string | null;
  /** As `minibatch explain` prints them: key, value, where it came from. */
  readonly settings: readonly { readonly key: string; readonly value: string; readonly source: string }[];
  readonly inputs: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, string>>;
  /** The entry's command line, shell-quoted, with the interpreter as configured. */
  readonly command: string;
  readonly interpreter: string;
  readonly workingDir: string;
  /** `local`, or the Redis server (without password). */
  readonly backend: string;
  readonly minibatchVersion: string;
}

export interface MetricsView {
  /** The metrics file, relative to the run directory. */
  readonly file: string;
  /** Numeric metrics, each a series in logged order: [epoch ms or index, value]. */
  readonly series: readonly { readonly name: string; readonly points: readonly (readonly [number, number])[] }[];
  /** The latest value of every other metric (text, lists, tables), as JSON. */
  readonly latest: Readonly<Record<string, string>>;
  /** Lines that were not a JSON object with a name. */
  readonly unreadable: number;
}

export interface LinkView {
  /** For a worker's log: the worker; the label then names the kind of log. */
  readonly worker: string | null;
  readonly label: string;
  /** Relative to the run directory, or absolute for a bound output outside it. */
  readonly path: string;
}

/** Details of timeline bars that the page can show without asking the server (the report). */
export interface BarDetail {
  readonly items: readonly string[];
  readonly itemCount: number;
  readonly tries: readonly {
    readonly attempt: number;
    readonly worker: string;
    readonly outcome: string;
    readonly startedAt: number;
    readonly durationMs: number;
    readonly error: { readonly type: string; readonly message: string; readonly traceback: string } | null;
  }[];
}

export interface RunPageData {
  readonly id: string;
  readonly runDir: string;
  /** Epoch ms when this view was read. */
  readonly readAt: number;
  /** The same report as `minibatch status --json`. */
  readonly status: StatusReport;
  readonly progress: ProgressView;
  readonly throughput: ThroughputView | null;
  readonly timeline: TimelineView | null;
  readonly histogram: HistogramView | null;
  readonly failures: readonly FailureView[];
  readonly job: JobView;
  readonly metrics: MetricsView | null;
  readonly links: readonly LinkView[];
  /** Embedded in a report for its failed mini-batches and small runs; the server answers the rest. */
  readonly details: Readonly<Record<number, BarDetail>>;
}

/** A row of the runs list. */
export interface RunRow {
  readonly id: string;
  readonly runDir: string;
  readonly module: string;
  /** A `RunState`, or `unreadable`. */
  readonly state: string;
  readonly createdAt: string;
  /** First try's start to last try's end (or now, while live); null before any try. */
  readonly durationMs: number | null;
  readonly miniBatches: { readonly total: number; readonly done: number; readonly failed: number };
  readonly items: { readonly total: number; readonly done: number; readonly failed: number };
  /** Why the run could not be read, when `state` is `unreadable`. */
  readonly problem: string | null;
}
