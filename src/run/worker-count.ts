/**
 * How many workers a run starts: processCountPerNode, but never more than there are mini-batches to
 * run. Each is a Python process (tens of MB and a start-up of its own); one with nothing to run is
 * only cost, and thousands of them exhaust memory and file descriptors.
 */
import type { PlannedMiniBatch } from '../data/types.js';

type Plan = AsyncIterable<readonly PlannedMiniBatch[]>;

export interface PeekedPlan {
  /** The same plan, from its start: the groups read ahead first, then the rest. */
  readonly plan: Plan;
  /** Mini-batches read ahead: at least `want` unless the plan ended first. */
  readonly seen: number;
  /** The plan ended within `seen` (or failed: the failure comes out of `plan`, where planning's errors do). */
  readonly complete: boolean;
}

/** Reads `plan` ahead until `want` mini-batches or its end, and gives it back whole. */
export async function peekPlan(plan: Plan, want: number): Promise<PeekedPlan> {
  const iterator = plan[Symbol.asyncIterator]();
  const ahead: (readonly PlannedMiniBatch[])[] = [];
  let seen = 0;
  let complete = false;
  let failure: { readonly error: unknown } | null = null;
  try {
    while (seen < want) {
      const next = await iterator.next();
      if (next.done === true) {
        complete = true;
        break;
      }
      ahead.push(next.value);
      seen += next.value.length;
    }
  } catch (error) {
    failure = { error };
    complete = true;
  }
  async function* whole(): AsyncGenerator<readonly PlannedMiniBatch[]> {
    yield* ahead;
    if (failure !== null) throw failure.error;
    if (complete) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  }
  return { plan: whole(), seen, complete };
}

/** The workers to start for `toRun` mini-batches when `asked` were asked for (at least one). */
export function workersFor(asked: number, toRun: number): number {
  return Math.max(1, Math.min(asked, toRun));
}

/** The line that says the run starts fewer workers than asked, and why. */
export function fewerWorkersNote(asked: number, started: number, toRun: number): string {
  const what = toRun === 1 ? 'there is 1 mini-batch to run' : `there are ${toRun} mini-batches to run`;
  return `workers: ${started}, not the ${asked} asked for (processCountPerNode): ${what}\n`;
}
