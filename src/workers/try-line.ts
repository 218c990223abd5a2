/**
 * The tries one worker holds, in the order its host takes them: the running one, then those
 * waiting prefetched behind it (docs/ARCHITECTURE.md, "Host channels"). The host answers runs in order, so a result is always
 * about the head; a `cancel`, though, is answered as soon as the host reads it, whatever waits
 * before that try.
 *
 * Prefetch: one try waits while run() is long. Short run() calls earn a deeper line, enough to keep
 * the process busy for about PREFETCH_TARGET_MS, so that it never waits for the orchestrator's
 * turn-around, and the line is refilled in groups that leave in one write: a pipe write that wakes
 * the host costs more than a trivial run() on a virtual machine (bench/). Lines decided on past
 * durations may hold slow tries (`backlog`); the pool rebalances by withdrawing some (`withdraw`).
 */
import type { TryOutcome, TryTask } from '../core/tries.js';
import type { RunInProgress } from './run-state.js';

/** Work a short run()'s line holds, in milliseconds of past run() durations (the default). */
export const PREFETCH_TARGET_MS = 10;
/** The most tries that may wait behind the running one. */
const MAX_PREFETCH = 256;
/**
 * How long a process on a busy machine may be off its CPU: a run in progress is taken as slow only
 * past that. A stall of a few ms while short tries wait is not a sign that they are slow.
 */
const STALL_MS = 5;

/** What a worker still has to run behind its run in progress (`TryLine.backlog`). */
export interface Backlog {
  readonly tries: number;
  readonly workMs: number;
  readonly overloaded: boolean;
}

/** One try on a worker. */
export class Try {
  constructor(
    readonly id: string,
    readonly task: TryTask,
    readonly resolve: (outcome: TryOutcome) => void,
  ) {}
}

export class TryLine {
  /** The oldest try not yet answered: running, or next to run. */
  running: Try | null = null;
  /** Sent, waiting behind `running` in the host's inbox, in order. */
  private waiting: Try[] = [];
  /** Ids of waiting tries with a `cancel` sent (`withdraw`), not yet answered. */
  private readonly withdrawing = new Set<string>();
  /** Recent run() durations (an exponential average): short ones earn a deeper line. */
  private recentRunMs = Number.POSITIVE_INFINITY;
  /** `depth`, judged again after each run() (an integer, so that the hot getters stay integer arithmetic). */
  private judgedDepth = 1;
  private seq = 0;

  /** `targetMs`: the work a line of short runs holds (PREFETCH_TARGET_MS). */
  constructor(private readonly targetMs: number = PREFETCH_TARGET_MS) {}

  /** No try is held. */
  get empty(): boolean {
    return this.running === null;
  }

  /**
   * How many tries may wait behind the running one: one, or for run() calls shorter than half the
   * target (recently, on average), as many as fill it, up to MAX_PREFETCH.
   */
  get depth(): number {
    return this.judgedDepth;
  }

  /** Room for more while a try runs: only once a deep line is half empty, so refills come in groups. */
  get room(): number {
    const depth = this.depth;
    const waiting = this.waiting.length;
    return waiting === 0 || (depth > 1 && 2 * waiting <= depth) ? depth - waiting : 0;
  }

  /**
   * What is still to run behind the run the host last started (`run`, from its run-state file, at
   * `nowMs` on that file's clock): the tries after it that are not being withdrawn, and the work they
   * hold in ms, judged on the slower of recent run() durations and how long that run has taken so
   * far, if it goes on (less STALL_MS). The host answers in groups, so it may be well past the head
   * of this line. A run the line does not hold (none yet, or one already answered) counts as the
   * head, not yet under way. `overloaded`: more than the target waits, in two tries or more, so its
   * tries were taken on when run() was shorter than it is now (the pool withdraws half of them).
   */
  backlog(run: RunInProgress | null, nowMs: number): Backlog {
    let from = 0;
    let runningForMs = 0;
    if (run !== null) {
      const head = this.running?.id === run.id;
      const at = head ? -1 : this.waiting.findIndex((attempt) => attempt.id === run.id);
      if (head || at !== -1) {
        from = at + 1;
        if (!run.ended) runningForMs = Math.max(0, nowMs - run.startedMs - STALL_MS);
      }
    }
    let tries = 0;
    for (let i = from; i < this.waiting.length; i++) if (!this.withdrawing.has((this.waiting[i] as Try).id)) tries++;
    const recent = this.recentRunMs === Number.POSITIVE_INFINITY ? 0 : this.recentRunMs;
    const workMs = tries * Math.max(recent, runningForMs);
    return { tries, workMs, overloaded: tries >= 2 && workMs > this.targetMs };
  }

  /** Tries waiting that are not being withdrawn (counted when the pool rebalances, which is rare). */
  get waitingCount(): number {
    let count = 0;
    for (const attempt of this.waiting) if (!this.withdrawing.has(attempt.id)) count++;
    return count;
  }

  /** A new try at the end of the line, with an id unique to this worker. */
  add(task: TryTask, resolve: (outcome: TryOutcome) => void): Try {
    const attempt = new Try(String(++this.seq), task, resolve);
    if (this.running === null) this.running = attempt;
    else this.waiting.push(attempt);
    return attempt;
  }

  /** A run() took `durationMs`: what the depth is judged on. */
  ran(durationMs: number): void {
    this.recentRunMs = this.recentRunMs === Number.POSITIVE_INFINITY ? durationMs : 0.8 * this.recentRunMs + 0.2 * durationMs;
    // A run() of 0 ms (a coarse clock) fits without bound: MAX_PREFETCH.
    const fit = this.targetMs / this.recentRunMs;
    this.judgedDepth = fit >= 2 ? Math.min(Math.floor(fit), MAX_PREFETCH) : 1;
  }

  /** The try with this id, if it is held here (running or waiting). */
  find(id: string): Try | null {
    if (this.running?.id === id) return this.running;
    return this.waiting.find((attempt) => attempt.id === id) ?? null;
  }

  /** The head try, answered; the next one becomes the head. Null when `id` is not the head's. */
  take(id: string): Try | null {
    const attempt = this.running;
    if (attempt === null || attempt.id !== id) return null;
    this.running = this.waiting.shift() ?? null;
    this.withdrawing.delete(id); // a cancel that came too late: it ran
    return attempt;
  }

  /** A withdrawn try that never started, out of its turn. Null when `id` is not waiting. */
  takeWaiting(id: string): Try | null {
    const at = this.waiting.findIndex((attempt) => attempt.id === id);
    if (at === -1) return null;
    this.withdrawing.delete(id);
    return this.waiting.splice(at, 1)[0] ?? null;
  }

  /** Marks the last `count` waiting tries (not already marked) as withdrawn; returns them, to cancel. */
  withdraw(count: number): Try[] {
    const chosen: Try[] = [];
    for (let i = this.waiting.length - 1; i >= 0 && chosen.length < count; i--) {
      const attempt = this.waiting[i] as Try;
      if (this.withdrawing.has(attempt.id)) continue;
      this.withdrawing.add(attempt.id);
      chosen.push(attempt);
    }
    return chosen;
  }

  /** Every waiting try not yet withdrawn, marked withdrawn (a graceful stop cancels them all). */
  withdrawAll(): Try[] {
    return this.withdraw(this.waiting.length);
  }

  /** Empties the line (the process is gone): the running try, if any, and the waiting ones. */
  clear(): { running: Try | null; waiting: Try[] } {
    const held = { running: this.running, waiting: this.waiting };
    this.running = null;
    this.waiting = [];
    this.withdrawing.clear();
    return held;
  }
}
