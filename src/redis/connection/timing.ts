/**
 * The clocks of the Redis backend, resolved once at the edge. Defaults suit a cluster;
 * environment variables shorten them for tests and tuning, so that a test of a dead machine takes
 * seconds, not a minute. The orchestrator's queue settings travel to every worker machine in the
 * run's record (registry.ts), so setting them where the run starts is enough.
 */
import { UsageError } from '../../core/errors.js';
import { DEFAULT_QUEUE_SETTINGS } from '../store/registry.js';
import { REDIS_ANSWER_TIMEOUT_MS } from './check.js';
import type { QueueSettings } from '../store/registry.js';

export const LOCK_ENV = 'MINIBATCH_REDIS_LOCK_MS';
export const STALLED_ENV = 'MINIBATCH_REDIS_STALLED_MS';
export const POLL_ENV = 'MINIBATCH_REDIS_POLL_MS';
export const JOIN_GRACE_ENV = 'MINIBATCH_REDIS_JOIN_GRACE_MS';
export const ANSWER_ENV = 'MINIBATCH_REDIS_ANSWER_MS';
export const SILENCE_ENV = 'MINIBATCH_REDIS_SILENCE_MS';

export interface RedisTiming {
  readonly queue: QueueSettings;
  /**
   * How often the orchestrator sweeps for finished mini-batches it was not woken for, and idle
   * workers look for runs and check that theirs is still running. @default 1_000
   */
  readonly pollMs: number;
  /** How long after the start machines may take to join before fewer than `nodeCount` is a warning. @default 30_000 */
  readonly joinGraceMs: number;
  /**
   * How long a PING may go unanswered before Redis counts as silent (liveness.ts), and how long a
   * worker's start-up check waits for each answer. @default REDIS_ANSWER_TIMEOUT_MS (5 s)
   */
  readonly answerTimeoutMs: number;
  /**
   * How long a run waits for a Redis that stopped answering mid-run to answer again before it
   * stops (exit 3; `resume` continues it). Counted from the unanswered PING. @default 60_000
   */
  readonly silenceLimitMs: number;
}

const DEFAULT_POLL_MS = 1_000;
const DEFAULT_JOIN_GRACE_MS = 30_000;
const DEFAULT_SILENCE_LIMIT_MS = 60_000;

export function redisTiming(env: Readonly<Record<string, string | undefined>> = process.env): RedisTiming {
  const read = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
      throw new UsageError(`${name}=${raw}: expected a whole number of milliseconds, 1 or more`);
    }
    return value;
  };
  const lockDurationMs = read(LOCK_ENV, DEFAULT_QUEUE_SETTINGS.lockDurationMs);
  return {
    queue: {
      lockDurationMs,
      // Checked twice per lock period by default: a lost lock is noticed within 1.5 × lockDuration.
      stalledIntervalMs: read(STALLED_ENV, Math.max(1, Math.round(lockDurationMs / 2))),
      maxStalledCount: DEFAULT_QUEUE_SETTINGS.maxStalledCount,
    },
    pollMs: read(POLL_ENV, DEFAULT_POLL_MS),
    joinGraceMs: read(JOIN_GRACE_ENV, DEFAULT_JOIN_GRACE_MS),
    answerTimeoutMs: read(ANSWER_ENV, REDIS_ANSWER_TIMEOUT_MS),
    silenceLimitMs: read(SILENCE_ENV, DEFAULT_SILENCE_LIMIT_MS),
  };
}
