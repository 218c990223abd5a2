/**
 * One machine serving one run (docs/ARCHITECTURE.md, "Many machines"): a pool of Python workers (the same `LocalPool` as the
 * local backend: init once per process, timeouts, crashes, replacements) fed by a BullMQ `Worker` (the consumer)
 * whose processor hands each job to the pool and returns the try's outcome. `minibatch worker`
 * runs one per run it serves; the orchestrator runs one for its own run unless `--processes 0`.
 *
 * The BullMQ Worker takes two jobs per process: one running and one waiting behind it in the pool
 * (the pool's own deeper prefetch of short runs does not apply: it gets no more than that, and it
 * does not rebalance, since machines are balanced by the queue). BullMQ renews their locks while
 * they are held, so a job that waits in the pool behind another is not taken for dead.
 */
import type { Redis } from 'ioredis';
import { Worker as Consumer } from 'bullmq';
import type { Job } from 'bullmq';
import { RunFailedError } from '../../core/errors.js';
import type { RunPaths } from '../../core/run-paths.js';
import type { TryOutcome } from '../../core/tries.js';
import { workerInit } from '../../workers/worker-init.js';
import type { ResolvedJob } from '../../spec/types.js';
import { createLocalPool, type LocalPool } from '../../workers/pool.js';
import { describeCause, errorCode } from '../connection/explain.js';
import { bullWorkerName, type AgentIdentity } from '../store/identity.js';
import type { RedisKeys } from '../store/keys.js';
import { encodeOutcome, taskOf, type EncodedOutcome } from '../store/payload.js';
import type { QueueSettings } from '../store/registry.js';

export interface RunServerOptions {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly runId: string;
  readonly queueName: string;
  readonly queue: QueueSettings;
  /** The job as this machine runs it (its entry inside the code snapshot). */
  readonly job: ResolvedJob;
  /** Where this machine's worker logs go. */
  readonly paths: RunPaths;
  /** The interpreter resolved on this machine. */
  readonly python: string;
  /** `processes` ≥ 1. */
  readonly agent: AgentIdentity;
  /** How long BullMQ waits before fetching again after a Redis error. */
  readonly retryDelayMs: number;
  /**
   * Skip BullMQ's own server check: set when `checkRedis` warned about eviction already, since
   * BullMQ would print its own warning for every connection. @default false
   */
  readonly skipVersionCheck?: boolean;
  /** Errors worth a line (not the "Redis unreachable" ones, which the connection reports). */
  readonly log: (message: string) => void;
}

/** What this machine did for the run. */
export interface ServedCounts {
  succeeded: number;
  failed: number;
  notStarted: number;
}

export class RunServer {
  readonly counts: ServedCounts = { succeeded: 0, failed: 0, notStarted: 0 };
  /** Where this machine's logs of the run are. */
  readonly logs: string;
  /** Resolves when the pool gives up (every worker keeps failing `init()`); never rejects. */
  readonly failure: Promise<RunFailedError>;
  private reportFailure: (error: RunFailedError) => void = () => undefined;
  private readonly consumer: Consumer<unknown, EncodedOutcome>;
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly options: RunServerOptions,
    private readonly pool: LocalPool,
  ) {
    this.logs = options.paths.logs;
    this.failure = new Promise((resolve) => {
      this.reportFailure = resolve;
    });
    const { queue, agent } = options;
    this.consumer = new Consumer<unknown, EncodedOutcome>(options.queueName, (job) => this.process(job), {
      connection: options.redis,
      prefix: options.keys.bullPrefix,
      concurrency: 2 * agent.processes,
      lockDuration: queue.lockDurationMs,
      stalledInterval: queue.stalledIntervalMs,
      maxStalledCount: queue.maxStalledCount,
      name: bullWorkerName(agent),
      runRetryDelay: options.retryDelayMs,
      skipVersionCheck: options.skipVersionCheck ?? false,
    });
    const seen = new Map<string, number>();
    this.consumer.on('error', (error: Error) => {
      const cause = describeCause(error);
      // Outages are reported once by the connection; a lost lock after one is expected (at-least-once).
      if (isConnectionError(error) || /Missing lock/i.test(error.message)) return;
      const last = seen.get(cause) ?? 0;
      if (Date.now() - last < 10_000) return;
      seen.set(cause, Date.now());
      options.log(`run ${options.runId}: queue error: ${cause}`);
    });
  }

  static async start(options: RunServerOptions): Promise<RunServer> {
    const { job, paths, agent } = options;
    const pool = await createLocalPool({
      python: options.python,
      processCount: agent.processes,
      init: workerInit(job, paths),
      env: job.settings.environmentVariables,
      runInvocationTimeoutMs: job.settings.runInvocationTimeoutMs,
      initTimeoutMs: job.settings.initTimeoutMs,
      paths,
      runId: options.runId,
      namePrefix: `${agent.name}-`,
      // BullMQ hands this pool a few jobs per process; the orchestrator balances machines.
      rebalance: false,
    });
    return new RunServer(options, pool);
  }

  /** `graceful`: running tries finish, prefetched ones go back as not started; then `shutdown()`. */
  stop(mode: 'graceful' | 'now'): Promise<void> {
    if (this.stopping !== null) {
      if (mode === 'now') {
        void this.pool.stop('now');
        void this.consumer.close(true);
      }
      return this.stopping;
    }
    this.stopping = Promise.all([this.consumer.close(mode === 'now'), this.pool.stop(mode)]).then(() => undefined);
    return this.stopping;
  }

  private async process(job: Job<unknown, EncodedOutcome>): Promise<EncodedOutcome> {
    const task = taskOf(job.data);
    // BullMQ fails the job with this message; the orchestrator reports it as a crashed try.
    if (task === null || job.id === undefined) throw new Error(`job ${job.id ?? '?'} does not hold a minibatch mini-batch`);
    let outcome: TryOutcome;
    try {
      await this.pool.waitForSlot();
      outcome = await this.pool.submit(task);
    } catch (error) {
      // The pool gave up: this machine cannot run the entry script. The job goes back unstarted.
      this.reportFailure(error instanceof RunFailedError ? error : new RunFailedError(String(error)));
      outcome = { kind: 'not_started', miniBatch: task.miniBatch, attempt: task.attempt };
    }
    if (outcome.kind === 'succeeded') this.counts.succeeded++;
    else if (outcome.kind === 'failed') this.counts.failed++;
    else this.counts.notStarted++;
    return encodeOutcome(this.options.redis, this.options.keys, this.options.runId, job.id, outcome);
  }
}

const CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

function isConnectionError(error: Error): boolean {
  return CONNECTION_CODES.has(errorCode(error)) || /Connection is closed|ECONNREFUSED|EPIPE|ECONNRESET/.test(error.message);
}
