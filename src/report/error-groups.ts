/**
 * The errors that remain when a run ends, each shown once: grouped by type and first line, with how
 * many tries it failed, which mini-batches it hit (and their first item), and where in the user's
 * code it was raised. Only the tries of this generation of mini-batches still failed count: an error
 * fixed by `retry-failed` is not shown again, nor a transient one a later try got past.
 */
import { basename } from 'node:path';
import type { Ledger } from '../ledger/sqlite.js';

export interface ErrorSummary {
  readonly type: string;
  /** The first line of the message. */
  readonly message: string;
  /** Failed tries; 0 for a mini-batch failed by finalize itself (rows that do not fit). */
  readonly tries: number;
  /** The mini-batches it hit, in order (at most MINI_BATCHES_NAMED of them). */
  readonly miniBatches: readonly number[];
  readonly miniBatchCount: number;
  /** The first item of the first mini-batch it hit (a file's name), or ''. */
  readonly firstItem: string;
  /** `parse.py:12`: the innermost frame of the traceback, or null when it has none. */
  readonly at: string | null;
}

/** Groups shown; the rest are counted. */
const GROUPS = 5;
const MINI_BATCHES_NAMED = 5;
/** Tries read at most: a bounded cost for a run of a million failures. */
const TRIES_READ = 100_000;

export function remainingErrors(ledger: Ledger): { readonly groups: readonly ErrorSummary[]; readonly more: number } {
  const groups = new Map<string, { summary: ErrorSummary; batches: Set<number> }>();
  let read = 0;
  const current = new Map<number, boolean>();
  const stillFailed = (index: number, generation: number): boolean => {
    let failed = current.get(index);
    if (failed === undefined) {
      const record = ledger.record(index);
      failed = record !== undefined && record.generation === generation && (record.status === 'failed' || record.status === 'partial');
      current.set(index, failed);
    }
    return failed;
  };
  for (const t of ledger.triesInOrder({ failedOnly: true })) {
    if (++read > TRIES_READ) break;
    if (t.error === null || !stillFailed(t.miniBatch, t.generation)) continue;
    // A timeout's message points at the stack below it (job_error.txt); here its frame is shown instead.
    const message = (t.error.message.split('\n', 1)[0] ?? '').replace(/\. Where (run|init)\(\) was, from the stderr log, is below$/, '');
    const key = `${t.error.type}\n${message}`;
    let group = groups.get(key);
    if (group === undefined) {
      const first = ledger.record(t.miniBatch)?.items[0];
      group = {
        summary: { type: t.error.type, message, tries: 0, miniBatches: [], miniBatchCount: 0, firstItem: first === undefined ? '' : basename(first.path), at: innermostFrame(t.error.traceback) },
        batches: new Set(),
      };
      groups.set(key, group);
    }
    group.batches.add(t.miniBatch);
    group.summary = {
      ...group.summary,
      tries: group.summary.tries + 1,
      miniBatchCount: group.batches.size,
      miniBatches: [...group.batches].slice(0, MINI_BATCHES_NAMED),
    };
  }
  const sorted = [...groups.values()].map((g) => g.summary).sort((a, b) => b.tries - a.tries);
  return { groups: sorted.slice(0, GROUPS), more: Math.max(0, sorted.length - GROUPS) };
}

/** `3 tries of mini-batch 3 (f17.txt): ValueError: cannot parse at parse.py:12` */
export function formatErrorSummary(e: ErrorSummary): string {
  const tries = `${e.tries} ${e.tries === 1 ? 'try' : 'tries'}`;
  const listed = `${e.miniBatches.join(', ')}${e.miniBatchCount > e.miniBatches.length ? ', …' : ''}`;
  const first = e.firstItem === '' ? '' : `; first item ${e.firstItem}`;
  const which =
    e.miniBatchCount === 1
      ? `mini-batch ${e.miniBatches[0] ?? '?'}${e.firstItem === '' ? '' : ` (${e.firstItem})`}`
      : `${e.miniBatchCount} mini-batches (${listed}${first})`;
  // No try failed (rows that did not fit, judged once the run ended): the mini-batch alone.
  const what = e.tries === 0 ? which : `${tries} of ${which}`;
  const where = e.at === null ? '' : e.type === 'Timeout' || e.type === 'InitTimeout' ? `; it was at ${e.at}` : ` at ${e.at}`;
  return `${what}: ${e.type}: ${e.message}${where}`;
}

function innermostFrame(traceback: string): string | null {
  const frames = [...traceback.matchAll(/File "([^"]+)", line (\d+)/g)];
  const last = frames.at(-1);
  return last === undefined ? null : `${basename(last[1] ?? '')}:${last[2] ?? ''}`;
}
