/**
 * The redis backend (docs/ARCHITECTURE.md, "Many machines"): the scheduler's tries become BullMQ jobs that any
 * machine running `minibatch worker` may take. Like the local backend it only runs tries and
 * reports outcomes; the scheduler still decides retries and thresholds, and the ledger on this
 * machine stays the truth.
 *
 * In flight: at most `ClusterWatch.limit` jobs sit in Redis at once, so that a million mini-batches
 * are dispatched as machines free up, not all stored at the start.
 *
 * Stopping (a threshold, Ctrl-C, a fatal error): the queue is paused so that no machine starts
 * another of its jobs; jobs still waiting are removed and resolve `not_started`; jobs that a
 * machine holds finish and are collected (graceful), or are left for a resume to collect (now).
 * When Redis itself cannot be used (it stopped answering, or is out of memory), every stop is
 * `now`: nothing waits on Redis, and what it holds is left for a resume.
 */
import type { Executor, Serving, TryOutcome, TryTask } from '../../core/tries.js';
import type { Collector } from './collector.js';
import type { ClusterWatch } from './cluster.js';
import type { RunQueue } from './collector.js';
import type { RunServer } from '../agent/run-server.js';

export interface RedisBackendParts {
  readonly queue: RunQueue;
  readonly collector: Collector;
  readonly cluster: ClusterWatch;
  /** This machine's own agent; null with `--processes 0`. */
  readonly localAgent: RunServer | null;
  readonly pollMs: number;
  /** True when `error` says Redis is out of memory, which stops the run (redis-health.ts). */
  readonly outOfMemory: (error: unknown) => boolean;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class QueueExecutor implements Executor {
  private waiters: Waiter[] = [];
  private stopping: Promise<void> | null = null;
  private stopNow = false;
  private failing = false;
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(private readonly parts: RedisBackendParts) {
    // The backstop for a missed completion event.
    const poll = (): void => {
      parts.collector.wake();
      this.pollTimer = setTimeout(poll, parts.pollMs);
    };
    this.pollTimer = setTimeout(poll, parts.pollMs);
  }

  waitForSlot(): Promise<void> {
    const failure = this.parts.cluster.failure;
    if (failure !== null) return Promise.reject(failure);
    if (this.stopping !== null || this.hasRoom()) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  submit(task: TryTask): Promise<TryOutcome> {
    const notStarted: TryOutcome = { kind: 'not_started', miniBatch: task.miniBatch, attempt: task.attempt };
    if (this.stopping !== null || this.parts.cluster.redisUnusable) return Promise.resolve(notStarted);
    return this.parts.collector.add(task).catch((error: unknown) => {
      if (!this.parts.outOfMemory(error)) throw error;
      return notStarted;
    });
  }

  stop(mode: 'graceful' | 'now'): Promise<void> {
    if (mode === 'now') this.stopNow = true;
    if (this.stopping !== null) {
      if (mode === 'now') {
        this.parts.collector.abandon();
        void this.parts.localAgent?.stop('now');
      }
      return this.stopping;
    }
    this.stopping = this.drain(mode);
    this.releaseWaiters();
    return this.stopping;
  }

  serving(): Serving {
    return this.parts.cluster.serving;
  }

  /** Wakes waiters when there is room again, or rejects them when the run cannot go on. */
  readonly onChange = (): void => {
    const failure = this.parts.cluster.failure;
    if (failure !== null && !this.failing) {
      // The scheduler may be waiting for outcomes rather than for a slot: the tries no machine
      // will take come back unstarted, and its next `waitForSlot` learns why.
      this.failing = true;
      if (this.parts.cluster.redisUnusable) this.letGoOfRedis();
      else void this.parts.collector.withdrawUnstarted().catch(() => undefined);
    }
    if (this.waiters.length === 0) return;
    if (failure !== null) {
      this.releaseWaiters();
      return;
    }
    if (this.hasRoom()) {
      (this.waiters.shift() as Waiter).resolve();
      // One at a time: the woken caller submits before the next one is judged.
      if (this.waiters.length > 0) setImmediate(this.onChange);
    }
  };

  /**
   * Jobs in flight, at most one per serving process: the rest wait in Redis or behind a running one
   * on a machine (an agent prefetches), which the orchestrator does not see.
   */
  runningTries(): number {
    return Math.min(this.parts.collector.inFlight, this.parts.cluster.processes);
  }

  /** Stops the poll timer; after `stop()`. */
  close(): void {
    clearTimeout(this.pollTimer);
  }

  private hasRoom(): boolean {
    return this.parts.collector.inFlight < this.parts.cluster.limit;
  }

  /**
   * Redis cannot be used: every try not yet collected comes back unstarted (its job stays in Redis
   * for a resume to collect), and this machine's own agent stops now, without waiting on Redis.
   */
  private letGoOfRedis(): void {
    this.stopNow = true;
    this.parts.collector.abandon();
    void this.parts.localAgent?.stop('now');
  }

  private async drain(mode: 'graceful' | 'now'): Promise<void> {
    const { queue, collector, localAgent, pollMs, cluster } = this.parts;
    if (cluster.redisUnusable) mode = 'now';
    const agentStopped = localAgent?.stop(mode) ?? Promise.resolve();
    if (collector.inFlight > 0) {
      try {
        // Nothing new may start anywhere; what waits never started.
        await queue.pause();
        if (mode === 'now') collector.abandon();
        while (collector.inFlight > 0 && !this.stopNow) {
          await collector.withdrawUnstarted();
          if (collector.inFlight === 0) break;
          collector.wake();
          await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, 250)));
        }
      } catch {
        // Redis refused or dropped the stop itself (out of memory, given up on): the jobs stay for a resume.
        this.stopNow = true;
      }
      if (this.stopNow) collector.abandon();
    }
    await agentStopped;
    await collector.settled();
  }

  private releaseWaiters(): void {
    const failure = this.parts.cluster.failure;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (failure !== null && this.stopping === null) waiter.reject(failure);
      else waiter.resolve();
    }
  }
}
