/**
 * Whether the orchestrator can still use its Redis, and what happens when it cannot
 * (docs/ARCHITECTURE.md, "Many machines"). Two ways Redis fails a run without going away:
 *
 * - **It stops answering** (paused, overloaded, a stuck proxy, a network cut): the liveness PING
 *   (connection/liveness.ts) says so within `answerTimeoutMs`; the run waits up to
 *   `silenceLimitMs` for it, and goes on if it answers again. Past that, the run's connection is
 *   dropped, so that nothing waits on it any more, and the run stops.
 * - **It is out of memory** (`maxmemory` under `noeviction`): writes fail with `OOM`; the run stops.
 *
 * Either way the failure is an `EnvironmentError` (exit 3), and the run's tries still in Redis are
 * left there for `resume`: nothing committed is lost. A Redis that restarts or refuses connections
 * is not this file's business: the durable clients wait that out (connection.ts).
 */
import { EnvironmentError } from '../../core/errors.js';
import { explainOutOfMemory, explainStoppedAnswering, isOutOfMemory } from '../connection/explain.js';
import { RedisLiveness } from '../connection/liveness.js';
import type { RedisTiming } from '../connection/timing.js';
import type { RedisTarget } from '../connection/url.js';

export interface RedisHealthOptions {
  readonly target: RedisTarget;
  readonly timing: RedisTiming;
  readonly runId: string;
  readonly warn: (message: string) => void;
  readonly say: (message: string) => void;
  /** Redis cannot be used: stop the run without it. Called once. */
  readonly onUnusable: (error: EnvironmentError) => void;
  /** Drops the run's connection, so that every command waiting on a silent Redis fails at once. */
  readonly disconnect: () => void;
}

export class RedisHealth {
  /** Why Redis cannot be used, once it cannot. */
  failure: EnvironmentError | null = null;
  private readonly liveness: RedisLiveness;
  private giveUp: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedisHealthOptions) {
    const { target, timing } = options;
    this.liveness = new RedisLiveness({
      target,
      answerTimeoutMs: timing.answerTimeoutMs,
      everyMs: timing.pollMs,
      connectionName: `minibatch-run-${options.runId}-liveness`,
      onSilent: (since) => this.onSilent(since),
      onAnswering: (silentForMs) => {
        clearTimeout(this.giveUp);
        if (this.failure === null) options.say(`Redis at ${target.display} answers again after ${seconds(silentForMs)} s; the run goes on`);
      },
    });
    this.liveness.start();
  }

  /**
   * Judges an error Redis gave a write: true (and the run stops) when it is out of memory; false
   * for anything else, which the caller handles as before.
   */
  outOfMemory(error: unknown): boolean {
    if (!isOutOfMemory(error)) return false;
    this.fail(new EnvironmentError('REDIS_UNAVAILABLE', explainOutOfMemory(this.options.target), { cause: error }));
    return true;
  }

  /** The error to throw for `error`, raised while the run was opening: what went wrong with Redis, if anything did. */
  explain(error: unknown): unknown {
    if (this.failure === null) this.outOfMemory(error);
    return this.failure ?? error;
  }

  stop(): void {
    clearTimeout(this.giveUp);
    this.liveness.stop();
  }

  private onSilent(since: number): void {
    const { target, timing, warn } = this.options;
    warn(
      `Redis at ${target.display} stopped answering (no reply to PING in ${seconds(timing.answerTimeoutMs)} s); the run ` +
        `waits up to ${seconds(timing.silenceLimitMs)} s for it, then stops (nothing committed is lost)`,
    );
    clearTimeout(this.giveUp);
    this.giveUp = setTimeout(() => {
      this.fail(new EnvironmentError('REDIS_UNAVAILABLE', explainStoppedAnswering(target, Date.now() - since)));
      this.options.disconnect();
    }, Math.max(0, since + timing.silenceLimitMs - Date.now()));
  }

  private fail(error: EnvironmentError): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.stop();
    this.options.onUnusable(error);
  }
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
