/**
 * The scheduler: streams the plan into the ledger, leases pending mini-batches to an executor's
 * slots, decides retries, commits every try, and stops on thresholds or on request
 * (docs/ARCHITECTURE.md, "Flow", "Tries"). It knows nothing of processes or Redis: an `Executor`
 * runs tries and reports outcomes as data. About 400 lines: dispatch, commits and stopping share
 * one set of counters and must be read together.
 */
import type { FileItem, PlannedMiniBatch } from '../data/types.js';
import type { Commit, LedgerCounts, MiniBatchRecord, MiniBatchStatus, TryRecord } from '../ledger/types.js';
import type { RunSettings } from '../spec/types.js';
import type { Executor, MiniBatchContext, TryOutcome, TryTask } from '../core/tries.js';
import type { ProgressSnapshot } from '../report/progress.js';
import { killPoint } from '../core/kill-points.js';
import type { ThresholdBreach } from '../report/result.js';
import { breachedThreshold } from './thresholds.js';
import { tableTask, taskItems } from './table-task.js';
import { itemCount } from '../ledger/inputs.js';
import type { TableRead } from '../core/table-format.js';

/** What the scheduler needs of the ledger; `Ledger` (src/ledger/sqlite.ts) is one. */
export interface SchedulerLedger {
  addPlanned(batch: readonly PlannedMiniBatch[]): void;
  markPlanned(total: number): void;
  pendingAfter(index: number, limit: number): MiniBatchRecord[];
  enqueueCommit(commit: Commit): void;
  flush(): void;
  /** Forgets buffered commits whose write failed for good (they run again on resume). */
  dropUnwritten(): void;
  /** Writes what the ledger holds back into its file while the workers stop (best effort). */
  checkpoint(): void;
  counts(): LedgerCounts;
}

export type StopReason =
  /** Ctrl-C once: let running tries finish. */
  | { readonly kind: 'interrupted' }
  | { readonly kind: 'threshold'; readonly breach: ThresholdBreach }
  /** Nothing more can run: every worker fails `init()`, planning failed, or the ledger cannot be written. */
  | { readonly kind: 'fatal'; readonly error: Error };

export interface SchedulerOptions {
  readonly ledger: SchedulerLedger;
  readonly executor: Executor;
  readonly settings: Pick<
    RunSettings,
    'runMaxTry' | 'errorThreshold' | 'allowedFailedCount' | 'allowedFailedPercent'
  >;
  /** The plan to stream into the ledger, in groups (`planBatches`), or null when the ledger already holds the whole plan. */
  readonly plan: AsyncIterable<readonly PlannedMiniBatch[]> | null;
  /** Called after every finished try, with its task (the items it held), for logs (processed_mini_batches.csv, job_error.txt). */
  readonly onTry?: (record: TryRecord, status: MiniBatchStatus, task: TryTask) => void;
  /**
   * The context `run(mini_batch, mini_batch_context)` gets for a mini-batch (its partition key
   * values, with partition keys). @default its index alone
   */
  readonly context?: (index: number, input: string, items: readonly FileItem[]) => MiniBatchContext;
  /** Items of planned mini-batches kept in memory for dispatch. @default FRESH_ITEMS_CAP */
  readonly freshItemsCap?: number;
  /** How each table input is read (`inputFormat`). @default {} (files only) */
  readonly tables?: Readonly<Record<string, TableRead>>;
}

export interface SchedulerResult {
  readonly counts: LedgerCounts;
  readonly stop: StopReason | null;
  /** Tripped once everything was dispatched (allowedFailedPercent). */
  readonly finalBreach: ThresholdBreach | null;
}

/** Planned mini-batches are written to the ledger in groups this large, or this often. */
const PLAN_BATCH = 256;
const PLAN_FLUSH_MS = 50;
/** Pending mini-batches read from the ledger at a time. */
const PAGE = 256;
/**
 * Items (file paths) of the mini-batches a fresh run hands from the planner to dispatch in memory,
 * without reading them back from the ledger (which costs a flush and a parse per mini-batch;
 * bench/). Past this many waiting, the rest are read from the ledger as a resumed run's
 * are: memory stays bounded by items, whatever the mini-batch size.
 */
const FRESH_ITEMS_CAP = 32_768;

/** Mutable counters mirrored from commits, so thresholds need no query per try. */
interface Tally {
  miniBatches: number;
  items: number;
  pending: number;
  succeeded: number;
  partial: number;
  failed: number;
  succeededItems: number;
  failedItems: number;
  tries: number;
}

export class Scheduler {
  private readonly opts: SchedulerOptions;
  private readonly tally: Tally;
  private planningDone: boolean;
  private stopReason: StopReason | null = null;
  /** Tries to run before reading further from the ledger: retries, and tries that never started. */
  private readonly retries: TryTask[] = [];
  private page: MiniBatchRecord[] = [];
  private cursor = -1;
  /** Planned in this process and not yet dispatched, in index order (see FRESH_ITEMS_CAP). */
  private fresh: TryTask[] = [];
  private freshHead = 0;
  /** Items of the tries in `fresh` from `freshHead` on. */
  private freshItems = 0;
  /** True once a mini-batch was planned that is only in the ledger: dispatch pages from there. */
  private readFromLedger: boolean;
  private running = 0;
  private wake: (() => void) | null = null;
  private executorStopped: Promise<void> | null = null;
  /** Planned mini-batches not yet written to the ledger, and how many were planned in all. */
  private readonly planned: { buffer: PlannedMiniBatch[]; lastFlush: number; total: number };

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
    this.tally = { ...opts.ledger.counts() };
    this.planned = { buffer: [], lastFlush: 0, total: this.tally.miniBatches };
    this.planningDone = opts.plan === null;
    this.readFromLedger = opts.plan === null;
  }

  /** Ask the run to stop; the first reason wins. Running tries finish (or time out). */
  requestStop(reason: StopReason): void {
    if (this.stopReason === null) this.stopReason = reason;
    // Stop the executor now, not when dispatch next gets a slot: prefetched tries are withdrawn
    // and a worker still in a long init() is not waited for (docs/ARCHITECTURE.md, "Tries": nothing new starts).
    this.executorStopped ??= this.opts.executor.stop('graceful');
    this.poke();
  }

  async run(): Promise<SchedulerResult> {
    // A resumed run may be past a threshold already (killed right after the try that tripped it):
    // then nothing new starts (docs/ARCHITECTURE.md, "Tries").
    const tripped = breachedThreshold(this.opts.settings, toThresholdCounts(this.tally), false);
    if (tripped !== null) this.requestStop({ kind: 'threshold', breach: tripped });
    const planning = this.opts.plan === null ? Promise.resolve() : this.streamPlan(this.opts.plan);
    try {
      await this.dispatch();
    } finally {
      // A stop ends planning too; graceful stop turns prefetched tries into `not_started`.
      const stopped = this.executorStopped ?? this.opts.executor.stop('graceful');
      // While the workers stop, the ledger is written back into its file, which its close would
      // otherwise do after them; once their shutdown messages have left (on a later tick).
      await new Promise((resolve) => setImmediate(resolve));
      this.opts.ledger.checkpoint();
      await stopped;
      // Every try handed out has been committed (onOutcome and onLost wake this loop).
      while (this.running > 0) await this.sleepUntilPoked();
      await planning;
      try {
        this.opts.ledger.flush();
      } catch (error) {
        // The last commits cannot be written (a full or read-only disk): the run stops on that.
        this.opts.ledger.dropUnwritten();
        this.requestStop({ kind: 'fatal', error: asError(error) });
      }
    }
    const counts = this.opts.ledger.counts();
    const finalBreach =
      this.stopReason === null
        ? breachedThreshold(this.opts.settings, toThresholdCounts(counts), true)
        : null;
    return { counts, stop: this.stopReason, finalBreach };
  }

  private async streamPlan(plan: AsyncIterable<readonly PlannedMiniBatch[]>): Promise<void> {
    try {
      for await (const group of plan) {
        if (!this.takePlanned(group)) return;
      }
      this.flushPlanned();
      this.opts.ledger.markPlanned(this.planned.total);
      killPoint('plan-done');
      this.planningDone = true;
    } catch (error) {
      try {
        this.flushPlanned();
      } catch {
        // The ledger cannot take the plan either (a full disk): the first error says why.
      }
      this.requestStop({ kind: 'fatal', error: asError(error) });
    } finally {
      this.poke();
    }
  }

  /** Buffers a group of planned mini-batches, writing them out in PLAN_BATCH groups; false once stopping. */
  private takePlanned(group: readonly PlannedMiniBatch[]): boolean {
    const planned = this.planned;
    for (const mb of group) {
      if (this.stopReason !== null) return false;
      planned.buffer.push(mb);
      killPoint('planned');
      planned.total++;
      // The first mini-batch goes out at once, so dispatch starts before listing ends.
      if (planned.buffer.length >= PLAN_BATCH || Date.now() - planned.lastFlush >= PLAN_FLUSH_MS) this.flushPlanned();
    }
    return true;
  }

  /** Writes the buffered planned mini-batches to the ledger and hands them to dispatch. */
  private flushPlanned(): void {
    const planned = this.planned;
    const batch = planned.buffer;
    if (batch.length === 0) return;
    this.opts.ledger.addPlanned(batch);
    killPoint('plan-flushed');
    this.handOver(batch);
    for (const mb of batch) this.tally.items += itemCount(mb);
    this.tally.miniBatches += batch.length;
    this.tally.pending += batch.length;
    planned.buffer = [];
    planned.lastFlush = Date.now();
    this.poke();
  }

  /** The dispatch loop: its waits only. What happens between them is synchronous (`submitNext`). */
  private async dispatch(): Promise<void> {
    const { executor } = this.opts;
    for (;;) {
      if (this.stopReason !== null) return;
      // Work first, then a slot: a run with nothing left must not wait for a worker (a replacement
      // still in init(), or one that will never start).
      if (!this.hasTask()) {
        if (this.planningDone && this.running === 0) return;
        await this.sleepUntilPoked();
        continue;
      }
      try {
        await executor.waitForSlot();
      } catch (error) {
        this.requestStop({ kind: 'fatal', error: asError(error) });
        return;
      }
      this.submitNext();
    }
  }

  /** Hands the next task to the executor; its outcome is committed when it settles. */
  private submitNext(): void {
    if (this.stopReason !== null) return;
    const task = this.nextTask();
    if (task === null) return;
    this.running++;
    void this.opts.executor.submit(task).then((outcome) => this.onOutcome(task, outcome), this.onLost);
    killPoint('dispatched');
  }

  /** An executor must report failures as outcomes; a rejection is a bug or a lost executor. */
  private readonly onLost = (error: unknown): void => {
    this.running--;
    this.requestStop({ kind: 'fatal', error: asError(error) });
  };

  private contextOf(index: number, input: string, items: readonly FileItem[]): MiniBatchContext {
    return this.opts.context?.(index, input, items) ?? { minibatch_index: index, partition_key_value: null, dataset_root: null };
  }

  /** Keeps freshly planned mini-batches in memory for dispatch, up to FRESH_ITEMS_CAP items waiting. */
  private handOver(batch: readonly PlannedMiniBatch[]): void {
    let items = 0;
    for (const mb of batch) items += mb.items.length;
    if (this.readFromLedger || this.freshItems + items > (this.opts.freshItemsCap ?? FRESH_ITEMS_CAP)) {
      this.readFromLedger = true;
      return;
    }
    this.freshItems += items;
    for (const mb of batch) {
      this.fresh.push({
        miniBatch: mb.index,
        attempt: 1,
        items: mb.items.map((i) => i.path),
        context: this.contextOf(mb.index, mb.input, mb.items),
        table: tableTask(mb, this.opts.tables),
      });
    }
  }

  /** Whether a task is ready for dispatch (reads a page from the ledger when it must). */
  private hasTask(): boolean {
    if (this.retries.length > 0 || this.freshHead < this.fresh.length) return true;
    if (!this.readFromLedger) return false;
    if (this.page.length === 0) this.page = this.opts.ledger.pendingAfter(this.cursor, PAGE);
    return this.page.length > 0;
  }

  private nextTask(): TryTask | null {
    const retry = this.retries.shift();
    if (retry !== undefined) return retry;
    if (this.freshHead < this.fresh.length) {
      const task = this.fresh[this.freshHead++] as TryTask;
      this.freshItems -= task.items.length;
      this.cursor = task.miniBatch;
      if (this.freshHead >= 4096 || this.freshHead === this.fresh.length) {
        // Drop what was dispatched, so the array holds only what waits.
        this.fresh = this.fresh.slice(this.freshHead);
        this.freshHead = 0;
      }
      return task;
    }
    if (!this.readFromLedger) return null;
    if (this.page.length === 0) {
      this.page = this.opts.ledger.pendingAfter(this.cursor, PAGE);
      if (this.page.length === 0) return null;
    }
    const record = this.page.shift();
    if (record === undefined) return null;
    this.cursor = record.index;
    return {
      miniBatch: record.index,
      attempt: record.tries + 1,
      items: record.items.map((i) => i.path),
      context: this.contextOf(record.index, record.input, record.items),
      table: tableTask(record, this.opts.tables),
    };
  }

  private onOutcome(task: TryTask, outcome: TryOutcome): void {
    this.running--;
    try {
      this.commitOutcome(task, outcome);
    } catch (error) {
      // The ledger could not be written (full disk, read-only folder): stop before losing more.
      this.requestStop({ kind: 'fatal', error: asError(error) });
    } finally {
      this.poke();
    }
  }

  private commitOutcome(task: TryTask, outcome: TryOutcome): void {
    const itemCount = taskItems(task);
    if (outcome.kind === 'not_started') {
      // No try is charged; run it again unless the run is stopping (it then stays `not_run`).
      if (this.stopReason === null) this.retries.push(task);
      return;
    }
    let status: MiniBatchStatus;
    let record: TryRecord;
    if (outcome.kind === 'succeeded') {
      const succeeded = Math.min(outcome.succeeded, itemCount);
      status = succeeded === itemCount ? 'succeeded' : 'partial';
      record = {
        miniBatch: task.miniBatch,
        attempt: task.attempt,
        worker: outcome.worker,
        startedAt: outcome.startedAt,
        durationMs: outcome.durationMs,
        outcome: 'succeeded',
        succeededItems: succeeded,
        failedItems: itemCount - succeeded,
        exitCode: null,
        signal: null,
        error: null,
      };
      this.opts.ledger.enqueueCommit({ try: record, status, rows: outcome.rows });
      this.tally.pending--;
      this.tally[status]++;
      this.tally.succeededItems += succeeded;
      this.tally.failedItems += itemCount - succeeded;
    } else {
      // A bad return value is the script's answer, not an accident: trying again would repeat it.
      const last = task.attempt >= this.opts.settings.runMaxTry || outcome.failure === 'bad_return';
      status = last ? 'failed' : 'pending';
      record = {
        miniBatch: task.miniBatch,
        attempt: task.attempt,
        worker: outcome.worker,
        startedAt: outcome.startedAt,
        durationMs: outcome.durationMs,
        outcome: outcome.failure,
        succeededItems: 0,
        failedItems: last ? itemCount : 0,
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        error: outcome.error,
      };
      this.opts.ledger.enqueueCommit({ try: record, status, rows: null });
      if (last) {
        this.tally.pending--;
        this.tally.failed++;
        this.tally.failedItems += itemCount;
      } else if (this.stopReason === null) {
        this.retries.push({ ...task, attempt: task.attempt + 1 });
      }
    }
    killPoint('committed');
    this.tally.tries++;
    this.opts.onTry?.(record, status, task);
    // Thresholds count failures only (allowedFailedPercent is judged at the end): a try that adds
    // none cannot trip one, and most tries add none.
    if (status === 'succeeded' || status === 'pending') return;
    const breach = breachedThreshold(this.opts.settings, toThresholdCounts(this.tally), false);
    if (breach !== null) this.requestStop({ kind: 'threshold', breach });
  }

  /** The run's counts now, for progress reports (read on their timers). */
  progress(): ProgressSnapshot {
    // Handed out is not running: a prefetched try waits in a worker's line, a queued one in Redis.
    const running = this.opts.executor.runningTries?.() ?? this.running;
    return {
      counts: { ...this.tally },
      planningDone: this.planningDone,
      running: Math.min(running, this.running),
      serving: this.opts.executor.serving?.() ?? null,
    };
  }

  private sleepUntilPoked(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

export function toThresholdCounts(counts: LedgerCounts): {
  planned: number;
  failedMiniBatches: number;
  failedItems: number;
} {
  return {
    planned: counts.miniBatches,
    failedMiniBatches: counts.failed + counts.partial,
    failedItems: counts.failedItems,
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
