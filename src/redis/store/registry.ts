/**
 * The registry of runs in Redis (docs/ARCHITECTURE.md, "Many machines"): the orchestrator publishes a run (its resolved job,
 * its code digest, its state) so that idle `minibatch worker`s discover it, and marks it failed or
 * finished so that they stop taking its mini-batches. The orchestrator is the only writer of a
 * run's record; workers only read.
 *
 * Each run is a HASH (`<prefix>:run:<id>`) and a member of a ZSET (`<prefix>:runs`) scored by its
 * creation time, so that workers serve runs oldest first and a state change is one HSET, not a
 * read-modify-write of a shared JSON document.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { EnvironmentError } from '../../core/errors.js';
import type { ResolvedJob } from '../../spec/types.js';
import { MINIBATCH_VERSION, REDIS_PROTOCOL_VERSION, isSnapshotDigest } from './keys.js';
import type { RedisKeys } from './keys.js';

/**
 * `running`: workers serve it. `paused`: its orchestrator was interrupted (Ctrl-C) and will resume
 * it; workers leave it alone until then. `failed`/`finished`: it ended.
 */
export type RegisteredRunState = 'running' | 'paused' | 'failed' | 'finished';
const RUN_STATES: readonly string[] = ['running', 'paused', 'failed', 'finished'] satisfies RegisteredRunState[];

/**
 * How BullMQ's workers of a run take and hold mini-batches: chosen by the orchestrator and read by
 * every worker machine, so that one setting (and one test override) applies to the whole cluster.
 */
export interface QueueSettings {
  /** A taken mini-batch's lock; a dead machine's mini-batches return to the queue this long after. */
  readonly lockDurationMs: number;
  /** How often each worker looks for mini-batches whose lock expired. */
  readonly stalledIntervalMs: number;
  /** Stalls forgiven before the try counts as crashed (BullMQ `maxStalledCount`). */
  readonly maxStalledCount: number;
}

export interface RunRecord {
  readonly runId: string;
  readonly state: RegisteredRunState;
  /** Why the run failed (a threshold, an interruption); '' otherwise. */
  readonly message: string;
  readonly protocol: number;
  /** The minibatch version of the orchestrator that published it. */
  readonly minibatchVersion: string;
  /** sha256 of the module's code snapshot (`<prefix>:snapshot:<digest>`). */
  readonly codeDigest: string;
  /** The run's BullMQ queue name. */
  readonly queueName: string;
  readonly job: ResolvedJob;
  /** Where the orchestrator runs, for `status` and worker logs. */
  readonly host: string;
  /** The run directory on the orchestrator's machine; workers write their logs there when they see it. */
  readonly runDir: string | null;
  readonly queue: QueueSettings;
  readonly pid: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The orchestrator's last heartbeat (epoch ms); null for a record written before heartbeats. */
  readonly heartbeatAt: number | null;
}

/** How often the orchestrator of a running run says it is alive (`MINIBATCH_REDIS_HEARTBEAT_MS`, for tests). */
export const HEARTBEAT_MS = Number(process.env.MINIBATCH_REDIS_HEARTBEAT_MS) > 0 ? Number(process.env.MINIBATCH_REDIS_HEARTBEAT_MS) : 5_000;
/** A running run whose orchestrator has been silent this long is left until it resumes. */
export const ORCHESTRATOR_GONE_MS = 6 * HEARTBEAT_MS;

/** Whether a running run's orchestrator is alive, as far as its heartbeat tells. */
export function orchestratorAlive(record: RunRecord, now: number = Date.now()): boolean {
  const last = record.heartbeatAt ?? record.updatedAt;
  return now - last < ORCHESTRATOR_GONE_MS;
}

/** A run this worker cannot serve: another protocol version, or a record it cannot read. */
export interface RefusedRun {
  readonly runId: string;
  readonly minibatchVersion: string | null;
  readonly protocol: number | null;
  /** Says why and what to do; print it as a warning. */
  readonly message: string;
}

export interface RunListing {
  /** Runs of this protocol, oldest first. */
  readonly runs: readonly RunRecord[];
  readonly refused: readonly RefusedRun[];
}

export interface PublishRun {
  readonly runId: string;
  readonly job: ResolvedJob;
  readonly codeDigest: string;
  readonly queueName: string;
  /** @default null */
  readonly runDir?: string | null;
  /** @default DEFAULT_QUEUE_SETTINGS */
  readonly queue?: QueueSettings;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  lockDurationMs: 10_000,
  stalledIntervalMs: 5_000,
  maxStalledCount: 1,
};

// Sets fields only if the run exists, so that a late state change cannot resurrect a removed run
// as a record without a job.
const SET_IF_EXISTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

export class RunRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Publishes a run in state `running`, or republishes it on resume (the creation time, and so its
   * place in the workers' order, is kept). Refuses a run that another minibatch version published.
   */
  async register(run: PublishRun): Promise<RunRecord> {
    if (!isSnapshotDigest(run.codeDigest)) {
      throw new TypeError(`code digest ${JSON.stringify(run.codeDigest)} is not a sha256`);
    }
    await this.read(run.runId); // throws for another protocol's record
    const key = this.keys.run(run.runId);
    const now = Date.now();
    const fields: Record<string, string> = {
      runId: run.runId,
      state: 'running',
      message: '',
      protocol: String(REDIS_PROTOCOL_VERSION),
      minibatchVersion: MINIBATCH_VERSION,
      codeDigest: run.codeDigest,
      queueName: run.queueName,
      job: JSON.stringify(run.job),
      host: hostname(),
      runDir: run.runDir ?? '',
      queue: JSON.stringify(run.queue ?? DEFAULT_QUEUE_SETTINGS),
      pid: String(process.pid),
      updatedAt: String(now),
    };
    const results = await this.redis
      .multi()
      .hsetnx(key, 'createdAt', String(now))
      .hset(key, fields)
      .hget(key, 'createdAt')
      .exec();
    const createdAt = Number(results?.[2]?.[1] ?? now);
    // ZADD NX: a resumed run keeps its place.
    await this.redis.zadd(this.keys.runs, 'NX', createdAt, run.runId);
    const record = await this.read(run.runId);
    if (!record) throw new Error(`run ${run.runId} vanished from Redis while being registered`);
    return record;
  }

  /**
   * The run's record, or null if it is not registered. Throws `EnvironmentError` when another
   * minibatch version (another protocol) published it: the message names both versions.
   */
  async read(runId: string): Promise<RunRecord | null> {
    const hash = await this.redis.hgetall(this.keys.run(runId));
    if (Object.keys(hash).length === 0) return null;
    const parsed = parseRecord(runId, hash);
    if (!parsed.ok) throw new EnvironmentError('REDIS_UNAVAILABLE', parsed.refused.message);
    return parsed.record;
  }

  /** Every registered run, oldest first; pass `states` to keep only some (`['running']` for workers). */
  async list(states?: readonly RegisteredRunState[]): Promise<RunListing> {
    const ids = await this.redis.zrange(this.keys.runs, 0, -1);
    if (ids.length === 0) return { runs: [], refused: [] };
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.run(id));
    const replies = (await pipeline.exec()) ?? [];
    const runs: RunRecord[] = [];
    const refused: RefusedRun[] = [];
    ids.forEach((id, i) => {
      const [error, value] = replies[i] ?? [null, null];
      if (error) throw error;
      const hash = value as Record<string, string>;
      // A member without a record: removed between ZRANGE and HGETALL.
      if (Object.keys(hash).length === 0) return;
      const parsed = parseRecord(id, hash);
      if (!parsed.ok) refused.push(parsed.refused);
      else if (!states || states.includes(parsed.record.state)) runs.push(parsed.record);
    });
    return { runs, refused };
  }

  /** Sets a run's state (and why, for `failed`). Returns false if the run is not registered. */
  async setState(runId: string, state: RegisteredRunState, message = ''): Promise<boolean> {
    const set = await this.redis.eval(
      SET_IF_EXISTS,
      1,
      this.keys.run(runId),
      'state',
      state,
      'message',
      message,
      'updatedAt',
      String(Date.now()),
    );
    return set === 1;
  }

  /**
   * The orchestrator says it is alive (every HEARTBEAT_MS). Workers leave a run whose heartbeat
   * stopped (its orchestrator was killed and not yet resumed) for others, instead of waiting on it.
   * False when Redis no longer holds the run at all: it lost its data (a restart without
   * persistence, a flush), and with it the run's queue.
   */
  async heartbeat(runId: string): Promise<boolean> {
    return (await this.redis.eval(SET_IF_EXISTS, 1, this.keys.run(runId), 'heartbeatAt', String(Date.now()))) === 1;
  }

  /** Removes the run from the registry (its queue and snapshot are removed by their owners). */
  async remove(runId: string): Promise<void> {
    await this.redis.multi().del(this.keys.run(runId)).zrem(this.keys.runs, runId).exec();
  }
}

type Parsed = { readonly ok: true; readonly record: RunRecord } | { readonly ok: false; readonly refused: RefusedRun };

function parseRecord(runId: string, hash: Record<string, string>): Parsed {
  const protocol = hash.protocol !== undefined && /^\d+$/.test(hash.protocol) ? Number(hash.protocol) : null;
  const version = hash.minibatchVersion ?? null;
  if (protocol !== REDIS_PROTOCOL_VERSION) {
    const refused: RefusedRun = {
      runId,
      protocol,
      minibatchVersion: version,
      message:
        `run ${runId} in Redis was published by minibatch ${version ?? '(unknown version)'} ` +
        `(Redis protocol ${protocol ?? '?'}); this is minibatch ${MINIBATCH_VERSION} (protocol ` +
        `${REDIS_PROTOCOL_VERSION}). Install the same minibatch version on the orchestrator and every ` +
        `worker machine${version ? ` (npm install -g minibatch@${version})` : ''}.`,
    };
    return { ok: false, refused };
  }
  const unreadable = (field: string): Parsed => ({
    ok: false,
    refused: {
      runId,
      protocol,
      minibatchVersion: version,
      message: `run ${runId} in Redis has an unreadable record (field ${field}); remove it or publish the run again`,
    },
  });
  const state = hash.state ?? '';
  if (!RUN_STATES.includes(state)) return unreadable('state');
  let job: ResolvedJob;
  try {
    // Trusted without a deep check: the same protocol version wrote it.
    job = JSON.parse(hash.job ?? '') as ResolvedJob;
  } catch {
    return unreadable('job');
  }
  const num = (field: string): number | null => {
    const v = Number(hash[field]);
    return hash[field] !== undefined && Number.isFinite(v) ? v : null;
  };
  const createdAt = num('createdAt');
  const updatedAt = num('updatedAt');
  const pid = num('pid');
  if (createdAt === null) return unreadable('createdAt');
  if (updatedAt === null) return unreadable('updatedAt');
  if (!hash.codeDigest || !hash.queueName) return unreadable(hash.codeDigest ? 'queueName' : 'codeDigest');
  const record: RunRecord = {
    runId,
    state: state as RegisteredRunState,
    message: hash.message ?? '',
    protocol,
    minibatchVersion: version ?? '',
    codeDigest: hash.codeDigest,
    queueName: hash.queueName,
    job,
    host: hash.host ?? '',
    runDir: hash.runDir ? hash.runDir : null,
    queue: parseQueueSettings(hash.queue),
    pid: pid ?? 0,
    createdAt,
    updatedAt,
    heartbeatAt: num('heartbeatAt'),
  };
  return { ok: true, record };
}

function parseQueueSettings(raw: string | undefined): QueueSettings {
  try {
    const value = JSON.parse(raw ?? '') as Partial<Record<keyof QueueSettings, unknown>>;
    const num = (v: unknown, fallback: number, min: number): number =>
      typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? v : fallback;
    return {
      lockDurationMs: num(value.lockDurationMs, DEFAULT_QUEUE_SETTINGS.lockDurationMs, 1),
      stalledIntervalMs: num(value.stalledIntervalMs, DEFAULT_QUEUE_SETTINGS.stalledIntervalMs, 1),
      maxStalledCount: num(value.maxStalledCount, DEFAULT_QUEUE_SETTINGS.maxStalledCount, 0),
    };
  } catch {
    return DEFAULT_QUEUE_SETTINGS;
  }
}
