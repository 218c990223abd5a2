/**
 * The orchestrator's side of a run's queue (docs/ARCHITECTURE.md, "Many machines"): one BullMQ job per try, and the
 * collection of their outcomes. A job's outcome is handed to the scheduler, which commits it; only
 * once the ledger has it on disk is the job removed from Redis. So an orchestrator killed at any
 * moment loses nothing: on resume, a job still in the queue is collected again, and one whose try
 * the ledger already holds is recognised as such and removed (collection is idempotent).
 *
 * Completed jobs are found by sweeping the queue's completed and failed sets, woken by BullMQ's
 * events and, as a backstop for a missed event, every `pollMs`. The sweep reads at most a page of
 * jobs; the backend bounds the jobs in flight far below it.
 */
import type { Redis } from 'ioredis';
import type { Job, Queue } from 'bullmq';
import type { MiniBatchRecord } from '../../ledger/types.js';
import type { TryOutcome, TryTask } from '../../core/tries.js';
import type { RedisKeys } from '../store/keys.js';
import { miniBatchJobId, parseMiniBatchJobId } from '../store/keys.js';
import { decodeOutcome, JOB_NAME, jobData, lostTry, type EncodedOutcome } from '../store/payload.js';
import type { QueueSettings } from '../store/registry.js';
import { isOutOfMemory } from '../connection/explain.js';

/** What the collector needs of the ledger; `Ledger` is one. */
export interface CollectorLedger {
  pendingAfter(index: number, limit: number): readonly MiniBatchRecord[];
  record(index: number): MiniBatchRecord | undefined;
  /** Makes the commits handed to the ledger durable. */
  flush(): void;
}

export type RunQueue = Queue<unknown, EncodedOutcome>;

export interface CollectorOptions {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly queue: RunQueue;
  readonly runId: string;
  readonly ledger: CollectorLedger;
  readonly settings: QueueSettings;
  /** Called after outcomes were handed out: slots are free. */
  readonly onSettled: () => void;
  /**
   * A worker machine could not store a try's result because Redis is out of memory: the try comes
   * back unstarted (Redis, not the mini-batch, failed), and the orchestrator decides whether the run
   * can go on.
   */
  readonly onOutOfMemory: () => void;
}

interface Pending {
  readonly task: TryTask;
  readonly resolve: (outcome: TryOutcome) => void;
}

interface Identity {
  readonly key: string;
  readonly generation: number;
}

/** Jobs read per sweep. */
const SWEEP_PAGE = 1000;
/** Mini-batch identities read from the ledger at once (the scheduler asks in index order). */
const LOOKUP_PAGE = 256;
/** A job in one of these states never started on any machine, and never will once withdrawn. */
const UNSTARTED_STATES: ReadonlySet<string> = new Set(['waiting', 'wait', 'paused', 'delayed', 'prioritized', 'unknown']);

export class Collector {
  private readonly pending = new Map<string, Pending>();
  /** Jobs being removed; adding one of these ids again must wait, or BullMQ would ignore the add. */
  private readonly removals = new Map<string, Promise<void>>();
  private readonly identities = new Map<number, Identity>();
  private sweeping: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(private readonly options: CollectorOptions) {}

  /** Jobs added and not yet collected. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Adds the try's job (a no-op if it is already there, e.g. after a crash) and waits for its outcome. */
  async add(task: TryTask): Promise<TryOutcome> {
    const { key, generation } = this.identity(task.miniBatch);
    const jobId = miniBatchJobId({ index: task.miniBatch, key, generation, attempt: task.attempt });
    // Counted in flight at once. No sweep can mistake the job being removed under this id for this
    // try's: it is removed by the sweep that collected it, before any later sweep reads the queue.
    const outcome = new Promise<TryOutcome>((resolve) => this.pending.set(jobId, { task, resolve }));
    try {
      await this.removals.get(jobId);
      await this.options.queue.add(JOB_NAME, jobData(this.options.runId, generation, task), {
        jobId,
        attempts: 1,
        // Kept until committed: the orchestrator removes them (docs/ARCHITECTURE.md, "Many machines").
        removeOnComplete: false,
        removeOnFail: false,
      });
    } catch (error) {
      this.pending.delete(jobId);
      throw error;
    }
    return outcome;
  }

  /** Sweeps now (coalesced with a sweep in progress). */
  wake(): void {
    if (this.closed) return;
    if (this.sweeping !== null) {
      this.again = true;
      return;
    }
    this.sweeping = this.sweepLoop().finally(() => {
      this.sweeping = null;
    });
  }

  /** Waits for the sweep in progress, if any. */
  async settled(): Promise<void> {
    await this.sweeping;
  }

  /**
   * For a stop: every job still waiting in the (paused) queue is removed and its try resolves
   * `not_started`. Jobs that a machine holds are left to finish and be collected.
   */
  async withdrawUnstarted(): Promise<void> {
    const { queue } = this.options;
    for (const [jobId, entry] of [...this.pending]) {
      const state = await queue.getJobState(jobId);
      if (!UNSTARTED_STATES.has(state)) continue;
      if (state !== 'unknown') await queue.remove(jobId);
      this.settle(jobId, entry, notStarted(entry.task));
    }
    this.options.onSettled();
  }

  /** For a stop now: every try not yet collected resolves `not_started`; the jobs stay for resume. */
  abandon(): void {
    for (const [jobId, entry] of [...this.pending]) this.settle(jobId, entry, notStarted(entry.task));
    this.options.onSettled();
  }

  close(): void {
    this.closed = true;
  }

  private async sweepLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.sweep();
      } catch {
        // Redis is away or the queue is being removed: the next wake-up or poll sweeps again.
        return;
      }
    } while (this.again && !this.closed);
  }

  private async sweep(): Promise<void> {
    const { queue, redis, keys, runId } = this.options;
    const [completed, failed] = await Promise.all([
      queue.getJobs(['completed'], 0, SWEEP_PAGE - 1, true),
      queue.getJobs(['failed'], 0, SWEEP_PAGE - 1, true),
    ]);
    const done: string[] = [];
    const settled: [string, Pending, TryOutcome][] = [];
    let outOfMemory = false;
    for (const [jobs, isFailed] of [[completed, false], [failed, true]] as const) {
      for (const job of jobs) {
        const jobId = job.id;
        if (jobId === undefined) continue;
        const entry = this.pending.get(jobId);
        if (entry === undefined) {
          if (this.isStale(jobId)) done.push(jobId);
          continue;
        }
        const worker = agentOf(job);
        let outcome: TryOutcome;
        try {
          if (isFailed && isOutOfMemory(job.failedReason)) {
            outcome = notStarted(entry.task);
            outOfMemory = true;
          } else {
            outcome = isFailed
              ? lostTry(entry.task, worker, 'WorkerLost', this.lostMessage(job))
              : await decodeOutcome(redis, entry.task, job.returnvalue, worker);
          }
        } catch (error) {
          outcome = lostTry(entry.task, worker, 'UnreadableResult', `its result cannot be read: ${String(error)}`);
        }
        settled.push([jobId, entry, outcome]);
        done.push(jobId);
      }
    }
    if (outOfMemory) this.options.onOutOfMemory();
    if (done.length === 0) return;
    // Until these jobs are removed, adding one of their ids again (a try that never started goes
    // out again with the same id) must wait: BullMQ ignores an add whose id exists.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    for (const jobId of done) this.removals.set(jobId, gate);
    try {
      for (const [jobId, entry, outcome] of settled) this.settle(jobId, entry, outcome);
      this.options.onSettled();
      // The scheduler commits what it was handed in its promise callbacks; then make that durable.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        this.options.ledger.flush();
      } catch {
        // The scheduler stops on the same error; the jobs stay in Redis for a resume to collect.
        return;
      }
      await Promise.all(
        done.map(async (jobId) => {
          await queue.remove(jobId);
          await redis.del(keys.rows(runId, jobId));
        }),
      );
    } finally {
      for (const jobId of done) if (this.removals.get(jobId) === gate) this.removals.delete(jobId);
      open();
    }
  }

  private settle(jobId: string, entry: Pending, outcome: TryOutcome): void {
    this.pending.delete(jobId);
    this.identities.delete(entry.task.miniBatch);
    entry.resolve(outcome);
  }

  /**
   * A finished job nobody waits for: left by an earlier orchestrator of this run. Stale (to remove)
   * when the ledger holds its try already, or it belongs to another generation; otherwise its
   * mini-batch is still to be dispatched, and it is collected then.
   */
  private isStale(jobId: string): boolean {
    const ref = parseMiniBatchJobId(jobId);
    if (ref === null) return true;
    const record = this.options.ledger.record(ref.index);
    return (
      record === undefined ||
      record.key !== ref.key ||
      record.generation !== ref.generation ||
      record.status !== 'pending' ||
      record.tries >= ref.attempt
    );
  }

  private identity(index: number): Identity {
    let found = this.identities.get(index);
    if (found === undefined) {
      const { ledger } = this.options;
      for (const r of ledger.pendingAfter(index - 1, LOOKUP_PAGE)) {
        this.identities.set(r.index, { key: r.key, generation: r.generation });
      }
      found = this.identities.get(index);
      const record = found === undefined ? ledger.record(index) : undefined;
      if (record !== undefined) found = { key: record.key, generation: record.generation };
      if (found === undefined) throw new Error(`mini-batch ${index} is not in the ledger`);
      this.identities.set(index, found);
    }
    return found;
  }

  private lostMessage(job: Job<unknown, EncodedOutcome>): string {
    const { lockDurationMs, maxStalledCount } = this.options.settings;
    const reason = job.failedReason || 'no reason given';
    if (/stalled/i.test(reason)) {
      return (
        `no machine finished it: the machine running it stopped renewing its lock ${maxStalledCount + 1} times ` +
        `(it died, or lost Redis for longer than ${lockDurationMs} ms) [${reason}]`
      );
    }
    return `the worker machine could not run it: ${reason}`;
  }
}

/** The agent that last held a job (BullMQ's `processedBy` is its Worker's name, `<agent>|…`). */
function agentOf(job: Job<unknown, EncodedOutcome>): string {
  return job.processedBy?.split('|')[0] || 'unknown';
}

function notStarted(task: TryTask): TryOutcome {
  return { kind: 'not_started', miniBatch: task.miniBatch, attempt: task.attempt };
}
