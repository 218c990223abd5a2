/**
 * Kill points: a test-only way to crash the orchestrator at a named moment (the crash-safety tests).
 * `MINIBATCH_TEST_KILL_AT=<point>[:<n>]` makes the process SIGKILL itself the n-th time (default 1st)
 * it passes `point`. Planning and finalizing take milliseconds, so random kills almost never land
 * there; this hits each phase on purpose.
 *
 * Nothing is armed until the entry point calls `armKillPoints` (cli/main.ts reads the variable); a
 * module importing this one reads no environment. Unarmed, `killPoint` is one comparison: it sits on
 * per-mini-batch paths (planning, dispatch, commits), so it must cost nothing a user would notice.
 */

/** Every point the orchestrator announces, in the order a run passes them. */
export const KILL_POINTS = [
  /** `run`: the run directory made and locked, run.json not yet written (nothing to resume). */
  'run-dir-locked',
  /** `run`: run.json written, the ledger not yet created. */
  'run-json',
  /** `run`: the ledger created, nothing planned. */
  'ledger-created',
  /** A mini-batch read from the listing (maybe not yet written to the ledger). */
  'planned',
  /** A group of planned mini-batches written to the ledger. */
  'plan-flushed',
  /** Planning recorded as done. */
  'plan-done',
  /** `resume`: the stored plan reconciled with a fresh listing, before it is marked planned. */
  'reconciled',
  /** `retry-failed`: failed mini-batches reset to pending. */
  'retry-reset',
  /** A try handed to the backend. */
  'dispatched',
  /** A finished try handed to the ledger (buffered, not yet durable). */
  'committed',
  /** Buffered commits written to the ledger (durable). */
  'flushed',
  /** Every try finished and the workers stopped; finalize not started. */
  'scheduled',
  /** The rows file written aside (`.partial`), not yet renamed into place. */
  'rows-partial',
  /** The rows file in place; the job result not yet written. */
  'rows-written',
  /** `logs/job_result.{json,txt}` written; the ledger does not yet record the outcome. */
  'result-files',
  /** The outcome recorded in the ledger; the lock not yet released. */
  'result-recorded',
] as const;

export type KillPoint = (typeof KILL_POINTS)[number];

export const KILL_AT_ENV = 'MINIBATCH_TEST_KILL_AT';

interface Armed {
  readonly point: KillPoint;
  readonly nth: number;
}

/** Parses `<point>[:<n>]`; throws on a typo, so that a test cannot silently never kill. */
export function parseKillAt(raw: string | undefined): Armed | null {
  if (raw === undefined || raw === '') return null;
  const [name = '', count] = raw.split(':');
  const point = KILL_POINTS.find((p) => p === name);
  const nth = count === undefined ? 1 : Number(count);
  if (point === undefined || !Number.isSafeInteger(nth) || nth < 1) {
    throw new Error(`${KILL_AT_ENV}=${raw}: expected <point>[:<n>] with point one of ${KILL_POINTS.join(', ')}`);
  }
  return { point, nth };
}

let armed: Armed | null = null;
let passes = 0;

/** Arms the point `raw` names (`<point>[:<n>]`), or none when it is unset or empty. */
export function armKillPoints(raw: string | undefined): void {
  armed = parseKillAt(raw);
  passes = 0;
}

/** SIGKILLs this process when it is the armed point's n-th pass; otherwise does nothing. */
export function killPoint(point: KillPoint): void {
  if (armed === null || armed.point !== point) return;
  passes++;
  if (passes >= armed.nth) process.kill(process.pid, 'SIGKILL');
}
