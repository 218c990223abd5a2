/**
 * `minibatch worker`: a machine that serves runs from Redis (docs/ARCHITECTURE.md, "Many machines"). It looks for
 * running runs in the registry, oldest first, and serves one at a time until it ends: checks that
 * it can read the run's inputs, fetches the code snapshot, resolves its own interpreter, and runs
 * a `RunServer` (a pool of Python workers fed by the run's queue). Then the next run; forever, or
 * with `once` only the runs that were running when it started.
 *
 * A run it cannot serve (unreadable inputs, no interpreter, no pandas for a run of tables, every
 * worker failing `init()`) is
 * reported to the orchestrator and skipped for the life of this process: restart the worker once
 * the machine is fixed.
 *
 * A Redis that stops answering (liveness.ts) is treated like a lost connection: the worker lets go
 * of it (its tries in flight are taken back by the queue when their locks expire), says so, checks
 * again with backoff until Redis answers, and serves again.
 */
import { availableParallelism } from 'node:os';
import type { Redis } from 'ioredis';
import { MinibatchError } from '../../core/errors.js';
import { hasTables, resolveDataset } from '../../data/dataset.js';
import { checkPandas, resolveInterpreter } from '../../workers/interpreter.js';
import { checkRedis, RedisSilentError, type RedisCheck } from '../connection/check.js';
import { createRedis } from '../connection/connection.js';
import { RedisLiveness } from '../connection/liveness.js';
import { agentIdentity, type AgentIdentity } from '../store/identity.js';
import { redisKeys, type RedisKeys } from '../store/keys.js';
import { jobInSnapshot, logPathsFor, snapshotCache, unreadableInputs } from './prepare.js';
import { orchestratorAlive, RunRegistry, type RunRecord } from '../store/registry.js';
import { writeReport, type ReportKind } from '../store/reports.js';
import { RunServer, type ServedCounts } from './run-server.js';
import { fetchSnapshot } from '../snapshot/snapshot.js';
import type { RedisTiming } from '../connection/timing.js';
import type { RedisTarget } from '../connection/url.js';

export interface AgentOptions {
  readonly target: RedisTarget;
  readonly prefix: string;
  /** Python processes per run; null: the run's `processCountPerNode` if it set one, else this machine's CPU count. */
  readonly processes: number | null;
  /** The interpreter; null: the run's (`--python`, job file, spec), else python3. */
  readonly python: string | null;
  /** Serve the runs running now, then exit. */
  readonly once: boolean;
  /** `<cache>/snapshots` and `<cache>/runs` live here. */
  readonly cacheDir: string;
  readonly timing: RedisTiming;
  /** Lines for the user (stdout). */
  readonly out: (line: string) => void;
  /** Warnings (stderr). */
  readonly warn: (line: string) => void;
}

type StopMode = 'graceful' | 'now';

/** How serving a run ended. */
/** How serving a run ended; `silent`: its orchestrator stopped its heartbeat (killed, not yet resumed). */
type Ended = 'finished' | 'failed' | 'paused' | 'removed' | 'stopped' | 'cannot serve' | 'silent' | 'redis silent';

const ENDED_WORDS: Record<Ended, string> = {
  finished: 'finished',
  failed: 'failed',
  paused: 'paused',
  removed: 'removed',
  stopped: 'left (this worker is stopping)',
  'cannot serve': 'left',
  silent: 'left (its orchestrator went silent; it continues when resumed)',
  'redis silent': 'left (Redis stopped answering)',
};

/** Backoff between checks of a Redis that accepts connections but does not answer: 2 s, 4 s, … 30 s. */
const SILENT_RETRY_FIRST_MS = 2_000;
const SILENT_RETRY_MAX_MS = 30_000;

export class Agent {
  private stopMode: StopMode | null = null;
  private current: RunServer | null = null;
  private wake: (() => void) | null = null;
  /** BullMQ's own server check repeats checkRedis's eviction warning per connection. */
  private skipVersionCheck = false;
  /** Redis stopped answering: the current connection is dropped and serving starts over. */
  private redisSilent = false;
  private readonly totals: ServedCounts = { succeeded: 0, failed: 0, notStarted: 0 };
  /** Runs served, once each even if served again after a pause. */
  private readonly served = new Set<string>();

  constructor(private readonly options: AgentOptions) {}

  /** Once: finish the running mini-batches, then exit. Twice (or `now`): stop them now. */
  stop(mode: StopMode): void {
    this.stopMode = this.stopMode === null && mode === 'graceful' ? 'graceful' : 'now';
    void this.current?.stop(this.stopMode);
    this.wake?.();
  }

  get stoppedNow(): boolean {
    return this.stopMode === 'now';
  }

  async run(): Promise<void> {
    const { options } = this;
    const keys = redisKeys(options.prefix);
    const identity = agentIdentity(0);
    for (let connection = 1; ; connection++) {
      const check = await this.checkUntilAnswered();
      if (check === null && connection === 1) return;
      if (check === null) break;
      if (connection === 1) for (const w of check.warnings) options.warn(w);
      this.skipVersionCheck = check.maxmemoryPolicy !== null && check.maxmemoryPolicy !== 'noeviction';
      if (!(await this.connectAndServe(keys, identity))) break;
    }
    const t = this.totals;
    const runs = this.served.size;
    options.out(
      `minibatch worker ${identity.name}: served ${runs} ${runs === 1 ? 'run' : 'runs'}; ran ` +
        `${tries(t)} of mini-batches (${t.succeeded} succeeded, ${t.failed} failed), ${t.notStarted} given back unstarted`,
    );
  }

  /** Serves runs over one connection; true when Redis stopped answering (connect again), false when done. */
  private async connectAndServe(keys: RedisKeys, identity: AgentIdentity): Promise<boolean> {
    const { options } = this;
    const { target, timing } = options;
    const redis = createRedis(target, { connectionName: `minibatch-worker-${identity.name}` });
    this.redisSilent = false;
    const liveness = new RedisLiveness({
      target,
      answerTimeoutMs: timing.answerTimeoutMs,
      everyMs: timing.pollMs,
      connectionName: `minibatch-worker-${identity.name}-liveness`,
      onSilent: () => {
        options.warn(
          `Redis at ${target.display} stopped answering (no reply to PING in ${timing.answerTimeoutMs / 1000} s); ` +
            `this worker lets go of it and connects again once it answers`,
        );
        this.redisSilent = true;
        // Every command waiting on the silent connection fails now, instead of never.
        redis.disconnect();
        void this.current?.stop('now');
        this.wake?.();
      },
      onAnswering: () => undefined,
    });
    liveness.start();
    try {
      const registry = new RunRegistry(redis, keys);
      options.out(`minibatch worker ${identity.name}: connected to ${target.display} (prefix ${keys.prefix})`);
      await this.serveRuns(redis, keys, registry, identity);
    } catch (error) {
      if (!this.redisSilent) throw error;
    } finally {
      liveness.stop();
      await redis.quit().catch(() => redis.disconnect());
    }
    return this.redisSilent && this.stopMode === null;
  }

  private async serveRuns(redis: Redis, keys: RedisKeys, registry: RunRegistry, identity: AgentIdentity): Promise<void> {
    const { options } = this;
    const skipped = new Set<string>();
    const refused = new Set<string>();
    const silent = new Set<string>();
    const onceIds = options.once ? new Set((await registry.list(['running'])).runs.map((r) => r.runId)) : null;
    let saidWaiting = false;
    while (this.stopMode === null && !this.redisSilent) {
      const listing = await registry.list(['running']);
      for (const r of listing.refused) {
        if (refused.has(r.runId)) continue;
        refused.add(r.runId);
        options.warn(r.message);
      }
      for (const r of listing.runs) {
        if (orchestratorAlive(r)) silent.delete(r.runId);
        else if (!silent.has(r.runId)) {
          silent.add(r.runId);
          options.out(`run ${r.runId}: its orchestrator (process ${r.pid} on ${r.host}) is silent; left until it is resumed`);
        }
      }
      const next = listing.runs.find(
        (r) => !skipped.has(r.runId) && !silent.has(r.runId) && (onceIds === null || onceIds.has(r.runId)),
      );
      if (next === undefined) {
        if (onceIds !== null) return;
        if (!saidWaiting) options.out('waiting for runs…');
        saidWaiting = true;
        await this.sleep(options.timing.pollMs);
        continue;
      }
      saidWaiting = false;
      const ended = await this.serve(redis, keys, registry, next, identity);
      if (ended === 'cannot serve') skipped.add(next.runId);
      // Served until it ended: with `once`, a run that comes back (resumed) is not "running now".
      if (onceIds !== null) onceIds.delete(next.runId);
    }
  }

  private async serve(
    redis: Redis,
    keys: RedisKeys,
    registry: RunRegistry,
    record: RunRecord,
    identity: AgentIdentity,
  ): Promise<Ended> {
    const { options } = this;
    const runId = record.runId;
    const refuse = async (kind: ReportKind, why: string): Promise<Ended> => {
      options.warn(`cannot serve run ${runId}: ${why}`);
      await writeReport(redis, keys, runId, { agent: identity.name, kind, message: why });
      return 'cannot serve';
    };
    const problems = await unreadableInputs(record.job);
    if (problems.length > 0) {
      return refuse(
        'inputs_unreadable',
        `${problems.join('; ')}. Its mini-batches are left to machines that can read them; make the data ` +
          `visible here at the same path (a shared file system), then restart this worker.`,
      );
    }
    let python: string;
    let snapshotDir: string;
    try {
      python = (await resolveInterpreter(options.python ?? record.job.settings.python)).executable;
      // Without pandas every table mini-batch this machine took would fail a try that another machine could run.
      if (hasTables(await resolveDataset(record.job))) await checkPandas(python);
      snapshotDir = await fetchSnapshot(redis, keys, record.codeDigest, snapshotCache(options.cacheDir));
    } catch (error) {
      if (!(error instanceof MinibatchError)) throw error;
      return refuse('cannot_start', error.message);
    }
    const processes = options.processes ?? processesFor(record);
    const agent = agentIdentity(processes);
    let server: RunServer;
    try {
      server = await this.startServer(redis, keys, record, snapshotDir, python, agent);
    } catch (error) {
      if (!(error instanceof MinibatchError)) throw error;
      return refuse('cannot_start', error.message);
    }
    this.current = server;
    const { job } = record;
    options.out(
      `serving run ${runId} (${job.module.name} ${job.module.version}, started on ${record.host}) with ${processes} ` +
        `${processes === 1 ? 'process' : 'processes'}: code ${record.codeDigest.slice(0, 12)} in ${snapshotDir}, logs in ${server.logs}`,
    );
    if (this.stopMode !== null) void server.stop(this.stopMode);
    let ended: Ended;
    try {
      ended = await this.until(registry, runId, server);
    } catch (error) {
      if (!this.redisSilent) {
        await server.stop('now');
        throw error;
      }
      ended = 'redis silent';
    }
    if (ended === 'redis silent') {
      await server.stop('now');
    } else if (ended === 'cannot serve') {
      const error = await server.failure;
      await server.stop('graceful');
      await refuse('cannot_start', error.message);
    } else {
      await server.stop(this.stopMode ?? 'graceful');
    }
    this.current = null;
    const c = server.counts;
    this.served.add(runId);
    this.totals.succeeded += c.succeeded;
    this.totals.failed += c.failed;
    this.totals.notStarted += c.notStarted;
    options.out(
      `run ${runId} ${ENDED_WORDS[ended]}: ` +
        `this machine ran ${tries(c)} (${c.succeeded} succeeded, ${c.failed} failed), ` +
        `${c.notStarted} given back unstarted`,
    );
    return ended;
  }

  private async startServer(
    redis: Redis,
    keys: RedisKeys,
    record: RunRecord,
    snapshotDir: string,
    python: string,
    agent: AgentIdentity,
  ): Promise<RunServer> {
    const { options } = this;
    return RunServer.start({
      redis,
      keys,
      runId: record.runId,
      queueName: record.queueName,
      queue: record.queue,
      job: jobInSnapshot(record.job, snapshotDir),
      paths: await logPathsFor(record.runId, record.runDir, options.cacheDir),
      python,
      agent,
      retryDelayMs: options.timing.pollMs,
      skipVersionCheck: this.skipVersionCheck,
      log: options.warn,
    });
  }

  /** Waits until the run is no longer running, the pool gives up, or this worker is asked to stop. */
  private async until(registry: RunRegistry, runId: string, server: RunServer): Promise<Ended> {
    let failed = false;
    void server.failure.then(() => {
      failed = true;
      this.wake?.();
    });
    for (;;) {
      if (this.stopMode !== null) return 'stopped';
      if (this.redisSilent) return 'redis silent';
      if (failed) return 'cannot serve';
      const record = await registry.read(runId).catch((error: unknown) => {
        // Republished by another minibatch version: not ours to serve any more.
        if (error instanceof MinibatchError) return null;
        throw error;
      });
      if (record === null) return 'removed';
      if (record.state !== 'running') return record.state;
      if (!orchestratorAlive(record)) return 'silent';
      await this.sleep(this.options.timing.pollMs);
    }
  }

  /**
   * `checkRedis`, again and again while the server accepts connections but does not answer (it
   * may be paused or restarting), saying so each time. Null when the worker was stopped meanwhile.
   */
  private async checkUntilAnswered(): Promise<RedisCheck | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { answerTimeoutMs } = this.options.timing;
        return await checkRedis(this.options.target, { answerTimeoutMs, connectTimeoutMs: answerTimeoutMs });
      } catch (error) {
        if (!(error instanceof RedisSilentError)) throw error;
        const delayMs = Math.min(SILENT_RETRY_FIRST_MS * 2 ** (attempt - 1), SILENT_RETRY_MAX_MS);
        this.options.warn(
          `Redis at ${error.target.display} did not answer in ${error.timeoutMs / 1000} s; trying again in ` +
            `${delayMs / 1000} s (is it a Redis server, and is it paused or overloaded?)`,
        );
        if (this.stopMode !== null) return null;
        await this.sleep(delayMs);
        if (this.stopMode !== null) return null;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

/** `processCountPerNode` when the run set it (spec, job file or flag), else this machine's CPU count. */
function processesFor(record: RunRecord): number {
  const { settings, settingSources } = record.job;
  return settingSources.processCountPerNode === 'default' ? availableParallelism() : settings.processCountPerNode;
}

function tries(c: ServedCounts): string {
  const n = c.succeeded + c.failed;
  return `${n} ${n === 1 ? 'try' : 'tries'}`;
}
