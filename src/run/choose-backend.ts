/**
 * The one choice `run` and `resume` make between backends: the local pool, or Redis when the run
 * names a server. Both come back as the same small handle, so a command's code reads the same
 * either way: execute with `backend`, then `finish(result)`, and `close()` in a `finally`.
 */
import type { RunPaths } from '../core/run-paths.js';
import type { JobResult } from '../report/result.js';
import type { Executor } from '../core/tries.js';
import { createLocalExecutor } from './local-executor.js';
import type { ResolvedJob } from '../spec/types.js';
import { parsePrefix, storableUrl, type RedisBackendChoice } from '../redis/connection/cli-options.js';
import type { CollectorLedger } from '../redis/orchestrator/collector.js';
import { resolveRedisTarget } from '../redis/connection/url.js';

/** What run.json records of a run on Redis, for `resume`. The password is never stored. */
export interface StoredRedisBackend {
  readonly kind: 'redis';
  /** The server without its password. */
  readonly url: string;
  readonly prefix: string;
  /** The orchestrator's own processes when given (`--processes`, 0 included); null: the run's setting. */
  readonly processes: number | null;
}

export interface RunBackend {
  readonly executor: Executor;
  finish(result: JobResult): Promise<void>;
  close(): Promise<void>;
}

export interface OpenRunBackendOptions {
  readonly job: ResolvedJob;
  readonly paths: RunPaths;
  readonly runId: string;
  /** The run's ledger; the local backend needs none (`run` makes it while the workers start). */
  readonly ledger: CollectorLedger | null;
  /** null: the local backend. */
  readonly redis: RedisBackendChoice | null;
  /** This machine's processes (`processCountPerNode`, or 0 on Redis). */
  readonly processes: number;
  /** The resolved interpreter; null only with 0 processes. */
  readonly python: string | null;
  /** A run that ran before (resume, retry-failed), rather than a new one. */
  readonly resumed: boolean;
}

export async function openRunBackend(options: OpenRunBackendOptions): Promise<RunBackend> {
  const { job, paths, runId } = options;
  if (options.redis === null) {
    if (options.python === null) throw new Error('openRunBackend: the local backend needs an interpreter');
    const executor = createLocalExecutor(job, paths, runId, options.python, options.processes);
    return { executor, finish: () => Promise.resolve(), close: () => Promise.resolve() };
  }
  if (options.ledger === null) throw new Error('openRunBackend: the Redis backend needs the ledger');
  // Loaded only for a Redis run: bullmq and ioredis cost every other command ~0.3 s of start-up.
  const { openRedisRun } = await import('../redis/orchestrator/orchestrator.js');
  return openRedisRun({
    target: options.redis.target,
    prefix: options.redis.prefix,
    runId,
    job,
    paths,
    ledger: options.ledger,
    processes: options.processes,
    python: options.python,
    resumed: options.resumed,
  });
}

export function storeRedisBackend(choice: RedisBackendChoice, processes: number | null): StoredRedisBackend {
  return { kind: 'redis', url: storableUrl(choice.target), prefix: choice.prefix, processes };
}

/**
 * The Redis a stored run uses: its server as `--backend` names it again (`given`: with its password,
 * or at a new address), else the stored one, whose password comes from `MINIBATCH_REDIS_URL`
 * (url.ts). The key prefix is always the run's own.
 */
export function storedRedisChoice(stored: StoredRedisBackend, given: RedisBackendChoice | null): RedisBackendChoice {
  return { target: given?.target ?? resolveRedisTarget(stored.url), prefix: parsePrefix(stored.prefix) };
}
