/**
 * Crash safety (docs/ARCHITECTURE.md, "Run directory"): the orchestrator is killed with SIGKILL at named points of
 * planning, dispatch and finalize (`MINIBATCH_TEST_KILL_AT`), and at random moments; each time it is
 * resumed until done. Whatever the moment, the rows are an uninterrupted run's (same rows, same
 * order, none twice), no committed mini-batch's `run()` is called again, and every point was reached.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KILL_POINTS } from '../../src/core/kill-points.js';
import { tempDir } from '../data/tree.js';
import { callsOf, cli, cliKilledAfterCalls, committedIn, expectedRows, expectExit, fileNames, makeJob, rowsOf, type TestJob } from './helpers.js';

type Command = 'run' | 'resume' | 'retry-failed';
type Step = readonly [Command, string | null];

/** 40 files, 2 per mini-batch: 20 mini-batches. */
const FILES = fileNames(40);

/**
 * Each chain starts a run and continues it; every step but the last is killed at its point. Points
 * that count tries come early in a chain, while enough mini-batches are left to reach them.
 */
const CHAINS: readonly (readonly Step[])[] = [
  // Killed before run.json: there is nothing to resume, and the user's second `run` takes the folder.
  [['run', 'run-dir-locked'], ['run', 'run-json'], ['resume', 'planned:5'], ['resume', 'reconciled'], ['resume', 'dispatched:3'],
    ['resume', 'committed:2'], ['resume', 'rows-partial'], ['resume', 'result-files'], ['resume', null]],
  [['run', 'ledger-created'], ['resume', 'dispatched:6'], ['resume', 'flushed:1'], ['resume', 'scheduled'],
    ['resume', 'rows-written'], ['resume', 'result-recorded'], ['resume', null]],
  [['run', 'planned:1'], ['resume', 'committed:5'], ['resume', 'dispatched:2'], ['resume', 'flushed:2'], ['resume', null]],
  [['run', 'plan-flushed:1'], ['resume', 'dispatched:10'], ['resume', 'committed:1'], ['resume', null]],
];

let tmp: { dir: string; cleanup: () => void };
let baseline: string[];

beforeAll(async () => {
  tmp = tempDir('minibatch-crash-');
  const job = makeJob(join(tmp.dir, 'baseline'), { files: FILES });
  const runDir = join(job.root, 'run');
  expectExit(await cli(job.runArgs(runDir)), 0);
  baseline = rowsOf(runDir) ?? [];
});
afterAll(() => tmp.cleanup());

/** What a chain saw, to check afterwards. */
interface Trace {
  readonly job: TestJob;
  readonly runDir: string;
  /** Kill points reached, as `point:n`. */
  readonly reached: string[];
}

/**
 * Runs `steps` in order; after each kill, remembers what the ledger had committed, and checks that
 * the next step's `run()` calls touch none of it.
 */
async function runChain(name: string, steps: readonly Step[], opts: { bad?: readonly string[]; fixBefore?: number } = {}): Promise<Trace> {
  const job = makeJob(join(tmp.dir, name), { files: [...FILES, ...(opts.bad ?? [])], sleepMs: 20, processes: 1 });
  const runDir = join(job.root, 'run');
  const reached: string[] = [];
  let committed = new Set<number>();
  let seen = 0;
  for (const [i, [command, killAt]] of steps.entries()) {
    // The user fixes their data before retrying.
    if (i === opts.fixBefore) writeFileSync(job.fixed, '');
    const args = command === 'run' ? job.runArgs(runDir, ['--run-max-try', '1']) : [command, runDir, '--no-progress'];
    const result = await cli(args, killAt === null ? {} : { MINIBATCH_TEST_KILL_AT: killAt });
    expectExit(result, killAt === null ? 0 : 'SIGKILL');
    if (killAt !== null) reached.push(killAt.includes(':') ? killAt : `${killAt}:1`);
    const calls = callsOf(job);
    const rerun = calls.slice(seen).filter((index) => committed.has(index));
    expect(rerun, `${name} step ${i} (${command} ${killAt ?? ''}) re-ran committed mini-batches`).toEqual([]);
    seen = calls.length;
    committed = committedIn(runDir);
  }
  return { job, runDir, reached };
}

function expectDone(trace: Trace): void {
  expect(rowsOf(trace.runDir)).toEqual(baseline);
  // A kill between writing the rows aside and renaming leaves nothing behind once finished.
  expect(readdirSync(join(trace.runDir, 'outputs', 'out'))).toEqual(['parallel_run_step.txt']);
}

describe.concurrent('kill -9 at named points, then resume until done', () => {
  const reached = new Set<string>();
  let chainsDone = 0;

  it.each(CHAINS.map((steps, i) => ({ name: `chain-${i}`, steps })))('$name: $steps.0.1 …', async ({ name, steps }) => {
    const trace = await runChain(name, steps);
    for (const point of trace.reached) reached.add(point);
    expectDone(trace);
    chainsDone++;
  });

  it('retry-failed killed after its reset, then resumed', async () => {
    const trace = await runChain(
      'retry',
      [['run', 'plan-done'], ['resume', null], ['retry-failed', 'retry-reset'], ['resume', 'dispatched:1'], ['resume', null]],
      { bad: ['f05bad.txt', 'f17bad.txt'], fixBefore: 2 },
    );
    for (const point of trace.reached) reached.add(point);
    expect(rowsOf(trace.runDir)).toEqual(expectedRows([...FILES, 'f05bad.txt', 'f17bad.txt']));
    chainsDone++;
  });

  afterAll(() => {
    // Only when every chain ran and passed (not under `-t`, nor after a failure reported already).
    if (chainsDone < CHAINS.length + 1) return;
    // Over 20 points, across planning, dispatch and finalize, and every named point at least once.
    expect(reached.size).toBeGreaterThanOrEqual(20);
    expect(new Set([...reached].map((p) => p.split(':')[0]))).toEqual(new Set(KILL_POINTS));
  });
});

describe.concurrent('kill -9 at random moments', () => {
  it('resumes until done; rows as uninterrupted, no committed mini-batch run twice', async () => {
    const files = fileNames(64);
    const job = makeJob(join(tmp.dir, 'random'), { files, sleepMs: 40 });
    const runDir = join(job.root, 'run');
    // A fixed seed, so that a failure can be replayed.
    let seed = 20240611;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let committed = new Set<number>();
    let seen = 0;
    let kills = 0;
    // Each kill lets at most ~6 of the 32 mini-batches finish: all KILLS land before the end.
    const KILLS = 5;
    for (let attempt = 0; ; attempt++) {
      expect(attempt, 'the run never finished').toBeLessThan(20);
      // Killed before run.json existed, nothing was started: the user runs it again.
      const args = existsSync(join(runDir, 'run.json')) ? ['resume', runDir, '--no-progress'] : job.runArgs(runDir);
      // Some kills land in start-up (a random time), most while mini-batches run: after a few
      // `run()` calls of this attempt, plus up to about one commit flush (one per 50 ms).
      // After KILLS kills, the run is left to finish (the suite's time is shared).
      const result =
        kills >= KILLS
          ? await cli(args)
          : attempt % 3 === 0
            ? await cli(args, {}, undefined, Math.floor(100 + random() * 600))
            : await cliKilledAfterCalls(args, job, seen + 1 + Math.floor(random() * 3), Math.floor(random() * 60));
      const calls = callsOf(job);
      expect(calls.slice(seen).filter((index) => committed.has(index))).toEqual([]);
      seen = calls.length;
      committed = committedIn(runDir);
      if (result.signal === 'SIGKILL') {
        kills++;
        continue;
      }
      expectExit(result, 0);
      break;
    }
    expect(kills).toBe(KILLS);
    expect(rowsOf(runDir)).toEqual(expectedRows(files));
  });
});
