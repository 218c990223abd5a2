/** Shared pieces of the ledger tests: plans from real files, commits, and a raw look into state.db. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { planFiles } from '../../src/data/plan.js';
import type { PlannedMiniBatch } from '../../src/data/types.js';
import type { Ledger } from '../../src/ledger/sqlite.js';
import type { Commit, MiniBatchStatus, TryRecord } from '../../src/ledger/types.js';
import { collect } from '../data/tree.js';

export async function plan(root: string, size: number, name = 'data'): Promise<PlannedMiniBatch[]> {
  return collect(planFiles([{ name, path: root }], size, null));
}

export function tryRecord(miniBatch: number, overrides: Partial<TryRecord> = {}): TryRecord {
  return {
    miniBatch,
    attempt: 1,
    worker: 'worker-0',
    startedAt: 1_700_000_000_000 + miniBatch,
    durationMs: 10,
    outcome: 'succeeded',
    succeededItems: 1,
    failedItems: 0,
    exitCode: null,
    signal: null,
    error: null,
    ...overrides,
  };
}

export function succeeded(miniBatch: number, lines: readonly string[], items = lines.length): Commit {
  return {
    try: tryRecord(miniBatch, { succeededItems: items }),
    status: 'succeeded',
    rows: { kind: 'lines', lines },
  };
}

export function failedTry(miniBatch: number, attempt: number, status: MiniBatchStatus, message = 'boom'): Commit {
  return {
    try: tryRecord(miniBatch, {
      attempt,
      outcome: 'raised',
      succeededItems: 0,
      failedItems: 0,
      error: { type: 'ValueError', message, traceback: 'Traceback...' },
    }),
    status,
    rows: null,
  };
}

/** Reads state.db from a fresh, independent connection: what another process (or a resume) would see. */
export function peek<T>(runDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(runDir, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export function statuses(ledger: Ledger, count: number): (MiniBatchStatus | undefined)[] {
  return Array.from({ length: count }, (_, i) => ledger.record(i)?.status);
}
