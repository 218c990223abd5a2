/**
 * Progress while a run is live: a bar on a terminal, a line every few seconds elsewhere, and the
 * lines of `logs/job_progress_overview.txt` (as ParallelRunStep wrote them). The reporter reads the
 * run's counts on its own timers (`source`); nothing is pushed to it per mini-batch, whose
 * bookkeeping is on the hot path of a run (bench/).
 */
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import type { LedgerCounts } from '../ledger/types.js';

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
  private readonly bar: CliProgress.SingleBar | null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly opts: ProgressOptions;
  private stopped = false;

  constructor(opts: ProgressOptions) {
    this.opts = opts;
    this.baseItems = doneItems(opts.source().counts);
    const tty = opts.stream.isTTY && opts.plain !== true;
    this.bar = tty ? newBar(opts.stream) : null;
    this.bar?.start(0, 0, { items: '0/0', failed: 0, rate: '0', eta_text: '-' });
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
    bar.update(c.miniBatches - c.pending, {
      items: `${doneItems(c)}/${c.items}`,
      failed: c.failed + c.partial,
      rate: this.rate(c).toFixed(1),
      eta_text: this.eta(p),
    });
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
      `${this.rate(c).toFixed(1)} items/s; ETA ${this.eta(p)}`
    );
  }

  private printLine(): void {
    this.opts.stream.write(`[minibatch] ${this.describe()}\n`);
  }

  private writeOverview(): void {
    const text = this.describe();
    try {
      appendFileSync(this.opts.overviewFile, `${timestamp()} INFO ${text}\n`);
    } catch {
      // The overview is a convenience; a full disk is reported where it matters (the ledger).
    }
  }

  /** Items per second since this process started (a resumed run's earlier items excluded). */
  private rate(counts: LedgerCounts): number {
    const seconds = (Date.now() - this.startedAt) / 1000;
    return seconds > 0 ? (doneItems(counts) - this.baseItems) / seconds : 0;
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
  const { Presets, SingleBar } = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  return new SingleBar(
    {
      stream,
      format: '{bar} {value}/{total} mini-batches | items {items} | failed {failed} | {rate} items/s | ETA {eta_text}',
      hideCursor: true,
      fps: 5,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
}

function doneItems(c: LedgerCounts): number {
  return c.succeededItems + c.failedItems;
}

function timestamp(): string {
  return new Date().toISOString().replace('T', ' ').slice(0, 19);
}
