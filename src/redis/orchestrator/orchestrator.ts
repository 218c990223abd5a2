/**
 * Starting and ending a run on Redis (docs/ARCHITECTURE.md, "Many machines"), around the scheduler:
 * `openRedisRun` checks the server, publishes the module's code snapshot and the run (so that idle
 * `minibatch worker`s discover it), and starts this machine's own agent; `finish` marks the run in
 * the registry and removes its queue; `close` lets go of Redis. `minibatch run --backend
 * redis://…` and `minibatch resume` of such a run use it the same way: opening a run that is
 * registered already (a resume) republishes it, reuses its snapshot, and resumes its queue.
 */
import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import { EnvironmentError } from '../../core/errors.js';
import type { RunPaths } from '../../core/run-paths.js';
import type { JobResult } from '../../report/result.js';
import type { Executor } from '../../core/tries.js';
import type { ResolvedJob } from '../../spec/types.js';
import { QueueExecutor } from './queue-executor.js';
import { checkRedis } from '../connection/check.js';
import { storableUrl } from '../connection/cli-options.js';
import { ClusterWatch } from './cluster.js';
import { Collector, type CollectorLedger, type RunQueue } from './collector.js';
import { createRedis } from '../connection/connection.js';
import { agentIdentity, bullWorkerName } from '../store/identity.js';
import { DEFAULT_PREFIX, redisKeys, type RedisKeys } from '../store/keys.js';
import type { EncodedOutcome } from '../store/payload.js';
import { cacheRoot } from '../../core/cache-root.js';
import { jobInSnapshot, snapshotCache } from '../agent/prepare.js';
import { HEARTBEAT_MS, ORCHESTRATOR_GONE_MS, orchestratorAlive, RunRegistry, type RegisteredRunState } from '../store/registry.js';
import { writeReport } from '../store/reports.js';
import { RunServer } from '../agent/run-server.js';
import { RedisHealth } from './redis-health.js';
import { deleteSnapshot, fetchSnapshot, publishSnapshot } from '../snapshot/snapshot.js';
import { redisTiming, type RedisTiming } from '../connection/timing.js';
import type { RedisTarget } from '../connection/url.js';

export interface RedisRunOptions {
  readonly target: RedisTarget;
  /** @default DEFAULT_PREFIX */
  readonly prefix?: string;
  readonly runId: string;
  readonly job: ResolvedJob;
  readonly paths: RunPaths;
  readonly ledger: CollectorLedger;
  /** Python processes of this machine's own agent; 0 runs no Python here. */
  readonly processes: number;
  /** The interpreter resolved on this machine; unused with 0 processes. */
  readonly python: string | null;
  /** A run that ran before (resume, retry-failed), rather than a new one. */
  readonly resumed: boolean;
  /** @default redisTiming() (environment overrides) */
  readonly timing?: RedisTiming;
  /** One line per warning. @default stderr, `warning: …` */
  readonly warn?: (message: string) => void;
  /** One line of news (what was published, how workers join). @default stderr */
  readonly say?: (message: string) => void;
}

/** A run on Redis, for `executeRun` (its `executor`) and what comes after it. */
export interface RedisRun {
  readonly executor: Executor;
  /** Records how the run ended; an interrupted or resumable run stays registered, paused, for `resume`. */
  finish(result: JobResult): Promise<void>;
  /** Lets go of Redis. Safe to call after a failure, or twice. */
  close(): Promise<void>;
}

export async function openRedisRun(options: RedisRunOptions): Promise<RedisRun> {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const say = options.say ?? ((m: string) => process.stderr.write(`${m}\n`));
  const timing = options.timing ?? redisTiming();
  const { target, runId, job, paths } = options;

  const check = await checkRedis(target);
  for (const w of check.warnings) warn(w);
  // BullMQ warns about eviction on every connection; checkRedis said it once already.
  const skipVersionCheck = check.maxmemoryPolicy !== null && check.maxmemoryPolicy !== 'noeviction';
  const redis = createRedis(target, { connectionName: `minibatch-run-${runId}` });
  let cluster: ClusterWatch | null = null;
  /** BullMQ's parts on `redis`, closed before it is dropped (see `disconnect` below). */
  const bull: Closable[] = [];
  const health = new RedisHealth({
    target,
    timing,
    runId,
    warn,
    say,
    onUnusable: (error) => cluster?.failRedis(error),
    disconnect: () => {
      // Closing them first keeps BullMQ from waiting out its retry delay (5 s) on the errors that
      // dropping the connection gives the commands it has waiting, which would hold the exit.
      for (const part of bull) void part.close().catch(() => undefined);
      redis.disconnect();
    },
  });
  const parts: Closable[] = [
    { close: () => redis.quit().then(() => undefined, () => redis.disconnect()) },
    { close: () => Promise.resolve(health.stop()) },
  ];
  /** Set once a new run is registered: undone if it then fails to start. */
  let unregister: (() => Promise<void>) | null = null;
  try {
    const keys = redisKeys(options.prefix ?? DEFAULT_PREFIX);
    const registry = new RunRegistry(redis, keys);
    const known = await registry.read(runId);
    if (known !== null && known.state === 'running' && known.heartbeatAt !== null && orchestratorAlive(known) && !deadHere(known)) {
      // A copy of this run directory, resumed elsewhere: two orchestrators would take each other's results.
      throw new EnvironmentError(
        'RUN_DIR_LOCKED',
        `run ${runId} is being driven by process ${known.pid} on ${known.host} (its last heartbeat ` +
          `${Math.round((Date.now() - known.heartbeatAt) / 1000)} s ago); stop it first, or wait ` +
          `${ORCHESTRATOR_GONE_MS / 1000} s after it died`,
      );
    }
    const digest = await codeSnapshot(redis, keys, job, paths, known?.codeDigest ?? null, say);
    const queueName = keys.queueName(runId);
    const queue: RunQueue = new Queue<unknown, EncodedOutcome>(queueName, {
      connection: redis,
      prefix: keys.bullPrefix,
      skipVersionCheck,
    });
    queue.on('error', () => undefined); // its connection is ours, and reports outages itself
    bull.push({ close: () => queue.close() });
    parts.unshift({ close: () => queue.close() });
    if (options.resumed && known === null) {
      // Redis lost this run (a restart without persistence, a flush) and machines still running
      // its jobs then wrote parts of them back: a job left so would swallow the same job added
      // again. Nothing of the run's queue is worth keeping.
      await deleteKeys(redis, `${keys.bullPrefix}:${queueName}:*`);
    }
    // A resumed run's queue may have been paused by an interrupted orchestrator.
    await queue.resume();
    await registry.register({ runId, job, codeDigest: digest, queueName, runDir: paths.root, queue: timing.queue });
    // A run registered here is forgotten again if it then fails to start (a new run's directory goes too, run.ts).
    if (known === null) {
      unregister = async () => {
        await queue.obliterate({ force: true });
        await registry.remove(runId);
      };
    }
    // Workers leave a run whose orchestrator went silent (killed, not yet resumed) for others.
    await registry.heartbeat(runId);

    let executor: QueueExecutor | null = null;
    const onChange = (): void => executor?.onChange();
    const collector = new Collector({
      redis,
      keys,
      queue,
      runId,
      ledger: options.ledger,
      settings: timing.queue,
      onSettled: onChange,
      // Is Redis still out of memory? The heartbeat is a write: it fails if so, and the run stops.
      onOutOfMemory: () => beat(),
    });
    parts.unshift({ close: () => Promise.resolve(collector.close()) });
    const events = new QueueEvents(queueName, { connection: redis, prefix: keys.bullPrefix, skipVersionCheck });
    events.on('error', () => undefined);
    events.on('completed', () => collector.wake());
    events.on('failed', () => collector.wake());
    bull.push({ close: () => events.close() });
    parts.unshift({ close: () => events.close() });
    const watch = new ClusterWatch({ redis, keys, queue, runId, nodeCount: job.settings.nodeCount, timing, warn, onChange });
    cluster = watch;
    if (health.failure !== null) watch.failRedis(health.failure);
    parts.unshift({ close: () => Promise.resolve(watch.stop()) });
    const beat = (): void => {
      registry.heartbeat(runId).then(
        (held) => {
          if (held) return;
          // Otherwise the orchestrator would wait for ever for outcomes of jobs that no longer exist.
          watch.fail(
            `Redis at ${target.display} no longer holds run ${runId} (it restarted without persistence, or was ` +
              `flushed): the mini-batches queued or running there are lost to it; nothing committed is lost.`,
          );
        },
        // Out of memory stops the run; otherwise Redis is away, and the connection says so.
        (error: unknown) => void health.outOfMemory(error),
      );
    };
    const heartbeat = setInterval(beat, HEARTBEAT_MS);
    heartbeat.unref();
    parts.unshift({ close: () => Promise.resolve(clearInterval(heartbeat)) });

    const agent = agentIdentity(options.processes);
    let localAgent: RunServer | null = null;
    if (options.processes > 0) {
      if (options.python === null) throw new Error('openRedisRun: a python interpreter is needed with processes > 0');
      const snapshotDir = await fetchSnapshot(redis, keys, digest, snapshotCache(cacheRoot()));
      localAgent = await RunServer.start({
        redis,
        keys,
        runId,
        queueName,
        queue: timing.queue,
        job: jobInSnapshot(job, snapshotDir),
        paths,
        python: options.python,
        agent,
        retryDelayMs: timing.pollMs,
        skipVersionCheck,
        log: warn,
      });
      const server = localAgent;
      // This machine cannot run the entry script: say so like any worker machine would, and leave
      // the run to the others (ClusterWatch fails it if there are none).
      void server.failure
        .then(async (error) => {
          await writeReport(redis, keys, runId, { agent: agent.name, kind: 'cannot_start', message: error.message });
          await server.stop('graceful');
        })
        .catch(() => undefined);
      parts.unshift({ close: () => server.stop('now') });
    }
    // Someone must move a dead machine's jobs back to the queue even when no worker is left (with
    // `--processes 0`, or while this machine's agent stops): BullMQ's check is safe to run twice.
    const checker = new Worker(queueName, null, {
      connection: redis,
      prefix: keys.bullPrefix,
      name: bullWorkerName(agentIdentity(0)),
      lockDuration: timing.queue.lockDurationMs,
      stalledInterval: timing.queue.stalledIntervalMs,
      maxStalledCount: timing.queue.maxStalledCount,
      autorun: false,
      skipVersionCheck,
    });
    checker.on('error', () => undefined);
    void checker.startStalledCheckTimer();
    bull.push({ close: () => checker.close(true) });
    parts.unshift({ close: () => checker.close(true) });

    executor = new QueueExecutor({
      queue,
      collector,
      cluster: watch,
      localAgent,
      pollMs: timing.pollMs,
      outOfMemory: (error) => health.outOfMemory(error),
    });
    const made = executor;
    parts.unshift({ close: () => Promise.resolve(made.close()) });
    watch.start();
    say(
      `Redis backend: run ${runId} published on ${target.display} (prefix ${keys.prefix}); ` +
        (options.processes > 0 ? `${options.processes} ${options.processes === 1 ? 'process' : 'processes'} here; ` : 'no processes here; ') +
        `other machines join with: minibatch worker ${storableUrl(target)}` +
        (keys.prefix === DEFAULT_PREFIX ? '' : ` --prefix ${keys.prefix}`) +
        (target.password === null ? '' : ' (and the password in MINIBATCH_REDIS_URL)'),
    );

    let closed: Promise<void> | null = null;
    return {
      executor,
      finish: async (result) => {
        // Redis cannot take the run's end: the run stays registered as it is, and `resume` republishes it.
        if (health.failure !== null) return;
        await finishRun({ redis, keys, registry, queue, runId, digest, checker, pollMs: timing.pollMs }, result).catch((error: unknown) => {
          // The run's outcome is in the ledger already; what is left in Redis is only clutter.
          warn(`could not tidy up run ${runId} in Redis: ${error instanceof Error ? error.message : String(error)}`);
        });
      },
      close: () => (closed ??= closeAll(parts)),
    };
  } catch (error) {
    const failure = health.explain(error);
    await unregister?.().catch(() => undefined);
    await closeAll(parts);
    throw failure;
  }
}

interface Closable {
  close(): Promise<void>;
}

/** Deletes every key matching `pattern` (SCAN, then DEL in groups). */
async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (found.length > 0) await redis.del(...found);
    cursor = next;
  } while (cursor !== '0');
}

/** Closes in order (newest first); a failure to close one must not keep the others open. */
async function closeAll(parts: readonly Closable[]): Promise<void> {
  for (const part of parts) {
    try {
      await part.close();
    } catch {
      // Already closed, or Redis is gone: nothing more to let go of.
    }
  }
}

/** The run's code: the snapshot it was published with if Redis still has it (a resume), else a new one. */
async function codeSnapshot(
  redis: Redis,
  keys: RedisKeys,
  job: ResolvedJob,
  paths: RunPaths,
  known: string | null,
  say: (message: string) => void,
): Promise<string> {
  if (known !== null && (await redis.exists(keys.snapshot(known))) === 1) return known;
  try {
    const packed = await publishSnapshot(redis, keys, job.module.sourceDir, {
      // Data bound inside the module's folder is read in place, like any input; so is the run's own folder.
      exclude: [paths.root, ...Object.values(job.inputs), ...Object.values(job.outputs)],
    });
    say(`code snapshot ${packed.digest.slice(0, 12)}: ${packed.fileCount} files from ${job.module.sourceDir}`);
    return packed.digest;
  } catch (error) {
    if (known === null || !(error instanceof Error)) throw error;
    throw new EnvironmentError(
      'REDIS_UNAVAILABLE',
      `the run's code snapshot ${known.slice(0, 12)} is no longer in Redis, and it cannot be taken again ` +
        `from ${job.module.sourceDir}: ${error.message}`,
      { cause: error },
    );
  }
}

interface Finishing {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly registry: RunRegistry;
  readonly queue: RunQueue;
  readonly runId: string;
  readonly digest: string;
  readonly checker: Worker;
  readonly pollMs: number;
}

/** How long the end of a run waits for worker machines to notice it and let go of its queue. */
const LEAVE_WAIT_POLLS = 3;

/** The record's orchestrator ran on this machine and its process is gone (killed, then resumed here). */
function deadHere(record: { readonly host: string; readonly pid: number }): boolean {
  if (record.host !== hostname()) return false;
  if (record.pid === process.pid) return true;
  try {
    process.kill(record.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

async function finishRun(f: Finishing, result: JobResult): Promise<void> {
  const { redis, keys, registry, queue, runId } = f;
  const state: RegisteredRunState =
    result.status === 'succeeded' ? 'finished' : result.status === 'interrupted' || result.resumable ? 'paused' : 'failed';
  await registry.setState(runId, state, state === 'finished' ? '' : result.reason);
  await f.checker.close(true);
  // A paused run keeps its queue (paused, with what machines were still finishing) for `resume`.
  if (state === 'paused') return;
  // Workers leave within a poll of seeing the state; a stalled check they run meanwhile would
  // re-create some of the queue's keys after it is removed.
  const deadline = Date.now() + LEAVE_WAIT_POLLS * f.pollMs;
  while (Date.now() < deadline && (await queue.getWorkers()).length > 0) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(f.pollMs, 100)));
  }
  await queue.obliterate({ force: true });
  await deleteMatching(redis, `${keys.bullPrefix}:${keys.queueName(runId)}:*`);
  await deleteMatching(redis, `${keys.prefix}:rows:${runId}:*`);
  await redis.del(keys.reports(runId));
  const { runs } = await registry.list(['running', 'paused']);
  if (!runs.some((r) => r.codeDigest === f.digest)) await deleteSnapshot(redis, keys, f.digest);
}

async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (found.length > 0) await redis.del(...found);
    cursor = next;
  } while (cursor !== '0');
}
