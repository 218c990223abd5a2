/** Rows of `mini_batches` and `tries` as SQLite returns them, and their mapping to the ledger's types. */
import type { Rows, WorkerError } from '../core/tries.js';
import type { FailureKind } from '../core/tries.js';
import { decodeItems, decodeSlice, type InputTable } from './inputs.js';
import type { MiniBatchDetail, MiniBatchStatus, StoredTry } from './types.js';

export const MINI_BATCH_COLUMNS = `idx, key, input_id, items, status, tries, succeeded_items, failed_items,
  generation, first_started_at, last_ended_at, duration_ms, last_error`;

export interface MiniBatchRow {
  readonly idx: number;
  readonly key: string;
  readonly input_id: number;
  readonly items: string;
  readonly status: MiniBatchStatus;
  readonly tries: number;
  readonly succeeded_items: number;
  readonly failed_items: number;
  readonly generation: number;
  readonly first_started_at: number | null;
  readonly last_ended_at: number | null;
  readonly duration_ms: number;
  readonly last_error: string | null;
}

export function toMiniBatch(row: MiniBatchRow, inputs: InputTable): MiniBatchDetail {
  const input = inputs.byId(row.input_id);
  return {
    index: row.idx,
    key: row.key,
    input: input.name,
    items: decodeItems(row.items, input.root),
    slice: decodeSlice(row.items),
    status: row.status,
    tries: row.tries,
    succeededItems: row.succeeded_items,
    failedItems: row.failed_items,
    generation: row.generation,
    firstStartedAt: row.first_started_at,
    lastEndedAt: row.last_ended_at,
    durationMs: row.duration_ms,
    lastError: row.last_error === null ? null : (JSON.parse(row.last_error) as WorkerError),
  };
}

export const TRY_COLUMNS = `id, idx, generation, attempt, worker, started_at, duration_ms, outcome,
  succeeded_items, failed_items, exit_code, signal, error`;

export interface TryRow {
  readonly id: number;
  readonly idx: number;
  readonly generation: number;
  readonly attempt: number;
  readonly worker: string;
  readonly started_at: number;
  readonly duration_ms: number;
  readonly outcome: 'succeeded' | FailureKind;
  readonly succeeded_items: number;
  readonly failed_items: number;
  readonly exit_code: number | null;
  readonly signal: string | null;
  readonly error: string | null;
}

export function toTry(row: TryRow): StoredTry {
  return {
    miniBatch: row.idx,
    generation: row.generation,
    attempt: row.attempt,
    worker: row.worker,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    outcome: row.outcome,
    succeededItems: row.succeeded_items,
    failedItems: row.failed_items,
    exitCode: row.exit_code,
    signal: row.signal,
    error: row.error === null ? null : (JSON.parse(row.error) as WorkerError),
  };
}

export function parseRows(json: string): Rows {
  return JSON.parse(json) as Rows;
}
