/**
 * The orchestrator's view of the machines serving its run, refreshed every `pollMs` from BullMQ's
 * list of connected Workers (identity.ts) and from what agents report (reports.ts). It sizes how
 * many jobs may wait in Redis, says when fewer machines joined than `nodeCount` (a warning),
 * prints each machine's report once, and gives up on the run when no machine can serve it: some
 * reported that they cannot, none serves, and no other is expected.
 */
import type { Redis } from 'ioredis';
import { RunFailedError, type EnvironmentError, type MinibatchError } from '../../core/errors.js';
import type { Serving } from '../../core/tries.js';
import type { RunQueue } from './collector.js';
import { parseBullWorker, type AgentIdentity } from '../store/identity.js';
import type { RedisKeys } from '../store/keys.js';
import { readReports } from '../store/reports.js';
import type { RedisTiming } from '../connection/timing.js';

/** Jobs in Redis at least, however few processes serve the run (or before any has joined). */
export const MIN_IN_FLIGHT = 8;
/**
 * Jobs in Redis per serving process: one running and one prefetched (what each agent holds), and
 * one waiting in the queue so that a process that finishes finds its next job at once.
 */
export const IN_FLIGHT_PER_PROCESS = 3;

export interface ClusterWatchOptions {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly queue: RunQueue;
  readonly runId: string;
  readonly nodeCount: number;
  readonly timing: RedisTiming;
  readonly warn: (message: string) => void;
  /** Something changed: the limit, or the run cannot go on. */
  readonly onChange: () => void;
}

export class ClusterWatch {
  private agents: AgentIdentity[] = [];
  private readonly reported = new Set<string>();
  private readonly startedAt = Date.now();
  private warnedNodes = false;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;
  failure: MinibatchError | null = null;
  /**
   * Set with `failure` when Redis itself cannot be used (silent, out of memory): stopping must not
   * wait on it, so tries not yet collected are left in Redis for `resume`.
   */
  redisUnusable = false;

  constructor(private readonly options: ClusterWatchOptions) {}

  /** The machines (distinct hosts) and processes serving the run, as of the last look. */
  get serving(): Serving {
    return { machines: new Set(this.agents.map((a) => a.host)).size, processes: this.agents.reduce((sum, a) => sum + a.processes, 0) };
  }

  /** Processes serving the run, on every machine that joined. */
  get processes(): number {
    return this.agents.reduce((sum, a) => sum + a.processes, 0);
  }

  /** Jobs that may be in Redis at once. */
  get limit(): number {
    const processes = this.agents.reduce((sum, a) => sum + a.processes, 0);
    return Math.max(MIN_IN_FLIGHT, IN_FLIGHT_PER_PROCESS * processes);
  }

  start(): void {
    void this.poll();
  }

  /** The run cannot go on (Redis lost it): waiting tries come back unstarted, and the scheduler stops. */
  fail(message: string): void {
    this.failure ??= new RunFailedError(message);
    this.options.onChange();
  }

  /** Redis cannot be used (it stopped answering, or is out of memory): the run stops without it (exit 3). */
  failRedis(error: EnvironmentError): void {
    if (this.failure === null) {
      this.failure = error;
      this.redisUnusable = true;
    }
    this.options.onChange();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = true;
    try {
      await this.refresh();
    } catch {
      // Redis is away: the connection says so; look again next time.
    } finally {
      this.polling = false;
      if (!this.stopped) this.timer = setTimeout(() => void this.poll(), this.options.timing.pollMs);
    }
  }

  private async refresh(): Promise<void> {
    const { options } = this;
    const clients = (await options.queue.getWorkers()) as Record<string, string>[];
    this.agents = clients.map(parseBullWorker).filter((a): a is AgentIdentity => a !== null && a.processes > 0);
    const reports = await readReports(options.redis, options.keys, options.runId);
    for (const report of reports) {
      if (this.reported.has(report.agent)) continue;
      this.reported.add(report.agent);
      options.warn(`${report.agent} does not serve run ${options.runId}: ${report.message}`);
    }
    const elapsed = Date.now() - this.startedAt;
    const hosts = new Set(this.agents.map((a) => a.host));
    if (!this.warnedNodes && elapsed >= options.timing.joinGraceMs && hosts.size < options.nodeCount) {
      this.warnedNodes = true;
      const who =
        hosts.size === 0
          ? 'no machine has'
          : `only ${hosts.size} ${hosts.size === 1 ? 'machine has' : 'machines have'} (${[...hosts].join(', ')})`;
      options.warn(
        `nodeCount is ${options.nodeCount}, but after ${(elapsed / 1000).toFixed(1)}s ${who} joined run ${options.runId}; ` +
          `it goes on with the machines it has. Start more with \`minibatch worker\`.`,
      );
    }
    const reportingHosts = new Set(reports.map((r) => r.agent.replace(/-\d+$/, '')));
    const noneExpected = reportingHosts.size >= options.nodeCount || elapsed >= options.timing.joinGraceMs;
    if (this.failure === null && this.agents.length === 0 && reports.length > 0 && noneExpected) {
      this.failure = new RunFailedError(
        `no machine can serve run ${options.runId}:\n` + reports.map((r) => `  ${r.agent}: ${r.message}`).join('\n'),
      );
    }
    options.onChange();
  }
}
