/**
 * Everything minibatch keeps in Redis, named in one place (docs/ARCHITECTURE.md, "Many machines"). All keys live under one
 * prefix (default `minibatch`), so that several teams, or tests, can share one Redis:
 *
 * ```
 * <prefix>:runs                      ZSET  runId → createdAt (ms): the registry of runs, oldest first
 * <prefix>:run:<runId>               HASH  one run: state, protocol, versions, code digest, resolved job
 * <prefix>:snapshot:<sha256>         STRING the module's code, packed and gzipped (snapshot.ts)
 * <prefix>:rows:<runId>:<jobId>      STRING rows too large for a job's return value, deleted once committed
 * <prefix>:reports:<runId>           HASH  agent → why that machine does not serve the run (unreadable inputs, init failures)
 * <prefix>:bull:<queue>:…            BullMQ's own keys for the run's queue (BullMQ `prefix` option)
 * ```
 *
 * Nothing here expires on its own: Redis must run with `maxmemory-policy noeviction`, and the
 * orchestrator deletes what it no longer needs.
 */
export { MINIBATCH_VERSION } from '../../core/version.js';

export const DEFAULT_PREFIX = 'minibatch';

/**
 * The version of what minibatch stores in Redis: the run record, the job payloads and return
 * values, the snapshot format. A worker refuses a run whose protocol differs from its own. Bump it
 * whenever any of those shapes change (including `ResolvedJob`, which travels in the run record).
 */
export const REDIS_PROTOCOL_VERSION = 1;

// BullMQ splits its keys on `:`; queue names and job ids must not hold one. Run ids end up in
// queue names and file names on worker machines, so they stay plain.
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const PREFIX = /^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*$/;
const DIGEST = /^[0-9a-f]{64}$/;

export interface RedisKeys {
  readonly prefix: string;
  /** ZSET of registered runs, scored by creation time. */
  readonly runs: string;
  /** HASH of one run's record. */
  run(runId: string): string;
  /** The gzipped snapshot whose sha256 (of the unpacked archive) is `digest`. */
  snapshot(digest: string): string;
  /** Rows of one job kept outside its return value. */
  rows(runId: string, jobId: string): string;
  /** HASH of problems worker machines report about a run, for the orchestrator to print. */
  reports(runId: string): string;
  /** The `prefix` option to give BullMQ's Queue and Worker. */
  readonly bullPrefix: string;
  /** The BullMQ queue of a run: named after the run. */
  queueName(runId: string): string;
}

export function redisKeys(prefix: string = DEFAULT_PREFIX): RedisKeys {
  if (!PREFIX.test(prefix)) {
    throw new TypeError(
      `Redis key prefix ${JSON.stringify(prefix)} is not valid: use letters, digits, '_', '.', '-', ` +
        `optionally in ':'-separated parts`,
    );
  }
  return {
    prefix,
    runs: `${prefix}:runs`,
    run: (runId) => `${prefix}:run:${checkRunId(runId)}`,
    snapshot: (digest) => `${prefix}:snapshot:${checkDigest(digest)}`,
    rows: (runId, jobId) => `${prefix}:rows:${checkRunId(runId)}:${jobId}`,
    reports: (runId) => `${prefix}:reports:${checkRunId(runId)}`,
    bullPrefix: `${prefix}:bull`,
    queueName: (runId) => checkRunId(runId),
  };
}

export function isValidRunId(runId: string): boolean {
  return RUN_ID.test(runId);
}

function checkRunId(runId: string): string {
  if (!RUN_ID.test(runId)) {
    throw new TypeError(
      `run id ${JSON.stringify(runId)} cannot name a Redis queue: use letters, digits, '_', '.', '-' ` +
        `(at most 128, starting with a letter or digit)`,
    );
  }
  return runId;
}

export function isSnapshotDigest(digest: string): boolean {
  return DIGEST.test(digest);
}

function checkDigest(digest: string): string {
  if (!DIGEST.test(digest)) {
    throw new TypeError(`snapshot digest ${JSON.stringify(digest)} is not a sha256 in lower-case hex`);
  }
  return digest;
}

/** What a mini-batch's BullMQ job id is made of. */
export interface MiniBatchJobRef {
  /** The mini-batch's index in the plan. */
  readonly index: number;
  /** The mini-batch's content key (from the ledger). */
  readonly key: string;
  /**
   * Bumped by `retry-failed` and re-planning, so that the new job does not collide with the old
   * one (BullMQ silently ignores an `add` whose id exists, in any state, until the job is removed).
   */
  readonly generation: number;
  /**
   * The try, 1-based, when the scheduler runs each try as its own job (jobs added with
   * `attempts: 1`, retries decided by the scheduler): a failed job keeps its id until removed, so
   * the next try needs a new one. Re-enqueueing the same try after a crash stays idempotent.
   */
  readonly attempt: number;
}

const JOB_ID = /^mb-(\d+)-g(\d+)-a(\d+)-(.+)$/;

/**
 * The BullMQ job id of a try of a mini-batch: `mb-<index>-g<generation>-a<attempt>-<key>`.
 * Deterministic, so that re-enqueueing after a crash is idempotent (the `add` of an existing id is
 * a no-op). BullMQ refuses ids that are bare integers or contain `:`; the `mb-` prefix rules out
 * the first, and the key is percent-encoded (`:` → `%3A`) to rule out the second, reversibly.
 */
export function miniBatchJobId(ref: MiniBatchJobRef): string {
  if (!Number.isSafeInteger(ref.index) || ref.index < 0) {
    throw new TypeError(`mini-batch index must be a non-negative integer, got ${ref.index}`);
  }
  if (!Number.isSafeInteger(ref.generation) || ref.generation < 0) {
    throw new TypeError(`generation must be a non-negative integer, got ${ref.generation}`);
  }
  if (!Number.isSafeInteger(ref.attempt) || ref.attempt < 1) {
    throw new TypeError(`attempt must be a positive integer, got ${ref.attempt}`);
  }
  if (ref.key === '') throw new TypeError('mini-batch key must not be empty');
  return `mb-${ref.index}-g${ref.generation}-a${ref.attempt}-${encodeURIComponent(ref.key)}`;
}

/** The inverse of `miniBatchJobId`; null for an id minibatch did not make. */
export function parseMiniBatchJobId(jobId: string): MiniBatchJobRef | null {
  const m = JOB_ID.exec(jobId);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return null;
  let key: string;
  try {
    key = decodeURIComponent(m[4]);
  } catch {
    return null;
  }
  const [index, generation, attempt] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (![index, generation, attempt].every(Number.isSafeInteger) || attempt < 1) return null;
  return { index, key, generation, attempt };
}
