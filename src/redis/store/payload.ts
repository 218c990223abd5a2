/**
 * What travels through a run's queue (docs/ARCHITECTURE.md, "Many machines"): a BullMQ job's data is one try of one
 * mini-batch; its return value is that try's `TryOutcome`. Failures of user code are outcomes
 * too (a completed job), so BullMQ's own failed state means only that no machine could finish the
 * job (it stalled past the limit). Rows larger than a few kilobytes go under their own key instead
 * of the job: BullMQ copies a return value into its event stream as well.
 */
import type { Redis } from 'ioredis';
import type { TryOutcome, TryTask } from '../../core/tries.js';
import type { Rows, WorkerError } from '../../core/tries.js';
import type { RedisKeys } from './keys.js';

/** The BullMQ job name of every mini-batch job (BullMQ requires one; ids tell jobs apart). */
export const JOB_NAME = 'mini-batch';

/** Rows whose JSON is longer than this are stored under `keys.rows(runId, jobId)`. */
export const INLINE_ROWS_MAX_CHARS = 8 * 1024;

export interface MiniBatchJobData {
  readonly runId: string;
  readonly miniBatch: number;
  readonly attempt: number;
  readonly generation: number;
  /** Absolute file paths: every machine must see them at the same path. */
  readonly items: readonly string[];
  readonly context: TryTask['context'];
  readonly table: TryTask['table'];
}

/** A job's return value. */
export interface EncodedOutcome {
  readonly v: 1;
  /** With `rows` null when they are under `rowsKey`. */
  readonly outcome: TryOutcome;
  readonly rowsKey: string | null;
}

export function jobData(runId: string, generation: number, task: TryTask): MiniBatchJobData {
  return {
    runId,
    miniBatch: task.miniBatch,
    attempt: task.attempt,
    generation,
    items: task.items,
    table: task.table,
    context: task.context,
  };
}

/** The try a job's data describes, or null for data minibatch did not write. */
export function taskOf(data: unknown): TryTask | null {
  if (!isRecord(data)) return null;
  const { miniBatch, attempt, items, context, table } = data;
  if (!isCount(miniBatch) || !isCount(attempt) || attempt < 1) return null;
  if (!Array.isArray(items) || !items.every((i) => typeof i === 'string')) return null;
  if (!isRecord(context) || context.minibatch_index !== miniBatch) return null;
  // `table` is written by jobData above, as the protocol's TableTask (or absent from older writers).
  const tableTask = table === undefined || table === null ? null : (table as TryTask['table']);
  return { miniBatch, attempt, items, context: context as unknown as TryTask['context'], table: tableTask };
}

/** Worker side: the value to return from the processor, storing large rows aside first. */
export async function encodeOutcome(
  redis: Redis,
  keys: RedisKeys,
  runId: string,
  jobId: string,
  outcome: TryOutcome,
): Promise<EncodedOutcome> {
  if (outcome.kind !== 'succeeded' || outcome.rows === null) return { v: 1, outcome, rowsKey: null };
  const text = JSON.stringify(outcome.rows);
  if (text.length <= INLINE_ROWS_MAX_CHARS) return { v: 1, outcome, rowsKey: null };
  const rowsKey = keys.rows(runId, jobId);
  await redis.set(rowsKey, text);
  return { v: 1, outcome: { ...outcome, rows: null }, rowsKey };
}

/**
 * Orchestrator side: the outcome of a completed job, checked against the try it was asked to run.
 * Anything unreadable becomes a crashed try, so that a broken machine cannot stop the run.
 */
export async function decodeOutcome(redis: Redis, task: TryTask, value: unknown, worker: string): Promise<TryOutcome> {
  if (!isRecord(value) || value.v !== 1 || !isRecord(value.outcome)) {
    return lostTry(task, worker, 'UnreadableResult', `the worker machine returned ${preview(value)}, not a minibatch result`);
  }
  const outcome = value.outcome as unknown as TryOutcome;
  const kinds: readonly string[] = ['succeeded', 'failed', 'not_started'];
  if (!kinds.includes(outcome.kind) || outcome.miniBatch !== task.miniBatch || outcome.attempt !== task.attempt) {
    return lostTry(task, worker, 'UnreadableResult', `the worker machine returned a result for another try: ${preview(value)}`);
  }
  const rowsKey = typeof value.rowsKey === 'string' ? value.rowsKey : null;
  if (outcome.kind !== 'succeeded' || rowsKey === null) return outcome;
  const text = await redis.get(rowsKey);
  if (text === null) {
    return lostTry(
      task,
      outcome.worker,
      'LostRows',
      `the rows of this try are missing from Redis (${rowsKey}); Redis lost data (run it with maxmemory-policy noeviction)`,
    );
  }
  return { ...outcome, rows: JSON.parse(text) as Rows };
}

/** A try no machine finished: it stalled past BullMQ's limit, or its result could not be read. */
export function lostTry(task: TryTask, worker: string, type: string, message: string): TryOutcome {
  const error: WorkerError = { type, message, traceback: '' };
  return {
    kind: 'failed',
    miniBatch: task.miniBatch,
    attempt: task.attempt,
    worker,
    failure: 'crash',
    error,
    exitCode: null,
    signal: null,
    startedAt: Date.now(),
    durationMs: 0,
  };
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
