/**
 * Progress while a run is live: a bar on a terminal, a line every few seconds elsewhere, and the
 * lines of `logs/job_progress_overview.txt` (as ParallelRunStep wrote them). Updates are cheap:
 * they store the latest counts; rendering happens on timers.
 */
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import type { LedgerCounts } from '../ledger/types.js';
import type { SchedulerProgress } from '../run/scheduler.js';

/** How often a non-terminal prints a progress line. */
const LINE_INTERVAL_MS = 5_000;
/** How often a line is appended to job_progress_overview.txt. */
const OVERVIEW_INTERVAL_MS = 10_000;

export interface ProgressOptions {
  readonly overviewFile: string;
  /** Where the bar or lines go (stderr, so that stdout stays the summary). */
  readonly stream: NodeJS.WriteStream;
  /** Force lines even on a terminal (e.g. `--no-progress`). */
  readonly plain?: boolean;
}

export class ProgressReporter {
  private latest: SchedulerProgress | null = null;
  private readonly startedAt = Date.now();
  /** Items already done when this process started (resume), excluded from throughput. */
  private baseItems: number | null = null;
  private readonly bar: CliProgress.SingleBar | null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly opts: ProgressOptions;
  private stopped = false;

  constructor(opts: ProgressOptions) {
    this.opts = opts;
    const tty = opts.stream.isTTY && opts.plain !== true;
    this.bar = tty ? newBar(opts.stream) : null;
    this.bar?.start(0, 0, { items: '0/0', failed: 0, rate: '0', eta_text: '-' });
    if (this.bar === null) this.every(LINE_INTERVAL_MS, () => this.printLine());
    this.every(OVERVIEW_INTERVAL_MS, () => this.writeOverview());
  }

  update(progress: SchedulerProgress): void {
    this.latest = progress;
    this.baseItems ??= doneItems(progress.counts);
    if (this.bar !== null) {
      const c = progress.counts;
      this.bar.setTotal(c.miniBatches);
      this.bar.update(c.miniBatches - c.pending, {
        items: `${doneItems(c)}/${c.items}`,
        failed: c.failed + c.partial,
        rate: this.rate().toFixed(1),
        eta_text: this.eta(),
      });
    }
  }

  /** Stops timers and the bar; writes a last overview line. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.bar?.stop();
    this.writeOverview();
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private describe(): string | null {
    const p = this.latest;
    if (p === null) return null;
    const c = p.counts;
    const total = p.planningDone ? `${c.miniBatches}` : `${c.miniBatches}+ (still planning)`;
    return (
      `mini-batches ${c.miniBatches - c.pending}/${total} done, ${c.failed + c.partial} failed; ` +
      `items ${doneItems(c)}/${c.items}, ${c.failedItems} failed; running ${p.running}; ` +
      `${this.rate().toFixed(1)} items/s; ETA ${this.eta()}`
    );
  }

  private printLine(): void {
    const text = this.describe();
    if (text !== null) this.opts.stream.write(`[minibatch] ${text}\n`);
  }

  private writeOverview(): void {
    const text = this.describe();
    if (text === null) return;
    try {
      appendFileSync(this.opts.overviewFile, `${timestamp()} INFO ${text}\n`);
    } catch {
      // The overview is a convenience; a full disk is reported where it matters (the ledger).
    }
  }

  private rate(): number {
    const p = this.latest;
    if (p === null) return 0;
    const seconds = (Date.now() - this.startedAt) / 1000;
    return seconds > 0 ? (doneItems(p.counts) - (this.baseItems ?? 0)) / seconds : 0;
  }

  private eta(): string {
    const p = this.latest;
    const rate = this.rate();
    if (p === null || rate <= 0 || !p.planningDone) return '-';
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
