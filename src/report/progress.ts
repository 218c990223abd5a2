/**
 * Progress while a run is live: a bar on a terminal, a line every few seconds elsewhere, and the
 * lines of `logs/job_progress_overview.txt` (as ParallelRunStep wrote them). The reporter reads the
 * run's counts on its own timers (`source`); nothing is pushed to it per mini-batch, whose
 * bookkeeping is on the hot path of a run (bench/).
 */
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import type { Serving } from '../core/tries.js';
import type { LedgerCounts } from '../ledger/types.js';
import { colorsFor } from './colors.js';
import { fitProgress, progressFields, type ProgressFigures } from './progress-line.js';
import { OWNER_ONLY } from '../core/owner-only.js';

/** How often the bar is brought up to date (it redraws at most this often too). */
const BAR_INTERVAL_MS = 200;
/** How often a non-terminal prints a progress line. */
const LINE_INTERVAL_MS = 5_000;
/** How often a line is appended to job_progress_overview.txt. */
const OVERVIEW_INTERVAL_MS = 10_000;

/** A live run's progress as the reporter reads it (`Scheduler.progress`). */
export interface ProgressSnapshot {
  readonly counts: LedgerCounts;
  /** False while planning still streams: totals may grow. */
  readonly planningDone: boolean;
  readonly running: number;
  /** Who serves the run (a run on Redis); null for a run on this machine alone. */
  readonly serving: Serving | null;
}

export interface ProgressOptions {
  readonly overviewFile: string;
  /** Where the bar or lines go (stderr, so that stdout stays the summary). */
  readonly stream: NodeJS.WriteStream;
  /** Force lines even on a terminal (e.g. `--no-progress`). */
  readonly plain?: boolean;
  /** The run's progress now (`Scheduler.progress`), read on each timer. */
  readonly source: () => ProgressSnapshot;
}

export class ProgressReporter {
  private readonly startedAt = Date.now();
  /** Items already done when this process started (resume), excluded from throughput. */
  private readonly baseItems: number;
  /** Items already succeeded then: with none succeeded since, there is no throughput to show. */
  private readonly baseSucceeded: number;
  private readonly bar: CliProgress.SingleBar | null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly opts: ProgressOptions;
  private stopped = false;

  constructor(opts: ProgressOptions) {
    this.opts = opts;
    const atStart = opts.source().counts;
    this.baseItems = doneItems(atStart);
    this.baseSucceeded = atStart.succeededItems;
    const tty = opts.stream.isTTY && opts.plain !== true;
    this.bar = tty ? newBar(opts.stream) : null;
    this.bar?.start(0, 0, {});
    if (this.bar !== null) {
      this.drawBar();
      this.every(BAR_INTERVAL_MS, () => this.drawBar());
    } else {
      this.every(LINE_INTERVAL_MS, () => this.printLine());
    }
    this.every(OVERVIEW_INTERVAL_MS, () => this.writeOverview());
  }

  /** Stops timers and the bar (drawn once more, with the final counts); writes a last overview line. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.bar !== null) {
      this.drawBar();
      this.bar.stop();
    }
    this.writeOverview();
  }

  private drawBar(): void {
    const bar = this.bar;
    if (bar === null) return;
    const p = this.opts.source();
    const c = p.counts;
    bar.setTotal(c.miniBatches);
    bar.update(c.miniBatches - c.pending, { figures: this.figures(p) });
  }

  private figures(p: ProgressSnapshot): ProgressFigures {
    const c = p.counts;
    return {
      miniBatchesDone: c.miniBatches - c.pending,
      miniBatches: c.miniBatches,
      planningDone: p.planningDone,
      itemsDone: doneItems(c),
      items: c.items,
      failedMiniBatches: c.failed + c.partial,
      failedItems: c.failedItems,
      running: p.running,
      serving: p.serving,
      rate: this.shownRate(c),
      eta: this.eta(p),
    };
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private describe(): string {
    const p = this.opts.source();
    const c = p.counts;
    const total = p.planningDone ? `${c.miniBatches}` : `${c.miniBatches}+ (still planning)`;
    return (
      `mini-batches ${c.miniBatches - c.pending}/${total} done, ${c.failed + c.partial} failed; ` +
      `items ${doneItems(c)}/${c.items}, ${c.failedItems} failed; running ${p.running}; ` +
      `${this.shownRate(c)?.toFixed(1) ?? '-'} items/s; ETA ${this.eta(p)}`
    );
  }

  private printLine(): void {
    // Lines go to logs and pipes, where nothing is cut: every field.
    this.opts.stream.write(`[minibatch] ${fitProgress(progressFields(this.figures(this.opts.source())), Infinity)}\n`);
  }

  private writeOverview(): void {
    const text = this.describe();
    try {
      appendFileSync(this.opts.overviewFile, `${timestamp()} INFO ${text}\n`, { mode: OWNER_ONLY });
    } catch {
      // The overview is a convenience; a full disk is reported where it matters (the ledger).
    }
  }

  /** Items per second since this process started (a resumed run's earlier items excluded). */
  private rate(counts: LedgerCounts): number {
    const seconds = (Date.now() - this.startedAt) / 1000;
    return seconds > 0 ? (doneItems(counts) - this.baseItems) / seconds : 0;
  }

  /** The rate, once an item succeeded in this process: a rate of failures is no throughput. */
  private shownRate(counts: LedgerCounts): number | null {
    return counts.succeededItems > this.baseSucceeded ? this.rate(counts) : null;
  }

  private eta(p: ProgressSnapshot): string {
    const rate = this.rate(p.counts);
    if (rate <= 0 || !p.planningDone) return '-';
    const left = p.counts.items - doneItems(p.counts);
    const s = Math.round(left / rate);
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
  }
}

/**
 * cli-progress is loaded here, when a bar is drawn, not on import: it costs ~12 ms of every
 * start-up, and a run whose stderr is not a terminal (a benchmark, CI, a pipe) never draws one.
 * It is CommonJS, so a synchronous require keeps the reporter's constructor synchronous.
 */
function newBar(stream: NodeJS.WriteStream): CliProgress.SingleBar {
  const { SingleBar } = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const colors = colorsFor(stream);
  return new SingleBar({
    stream,
    // Drawn here, fitted to the terminal's width as it is now (a resized window included).
    format: (_options, params, payload: { figures?: ProgressFigures }) => {
      const width = Math.max(20, (stream.columns || 80) - 1); // 0 when the terminal does not say
      const figures = payload.figures;
      if (figures === undefined) return '';
      // The count of mini-batches done matters more than the bar: the bar goes before it does.
      const fields = progressFields(figures);
      const beside = fitProgress(fields, width - MIN_BAR - 1);
      const text = /^\d+\/\d+\+? mini-batches/.test(beside) ? beside : fitProgress(fields, width);
      const size = Math.min(MAX_BAR, width - text.length - 1);
      const done = Math.round(Math.min(1, Math.max(0, params.progress)) * size);
      const bar = size < MIN_BAR ? '' : `${'\u2588'.repeat(done)}${'\u2591'.repeat(size - done)} `;
      return bar + (figures.failedMiniBatches > 0 ? text.replace(/failed \d+ mini-batch(es)? \(\d+ items?\)/, (m) => colors.red(m)) : text);
    },
    hideCursor: true,
    fps: 5,
    etaBuffer: 50,
  });
}

/** The bar's length in characters: shortened on a narrow terminal, left out under MIN_BAR. */
const MAX_BAR = 30;
const MIN_BAR = 10;

function doneItems(c: LedgerCounts): number {
  return c.succeededItems + c.failedItems;
}

function timestamp(): string {
  return new Date().toISOString().replace('T', ' ').slice(0, 19);
}
