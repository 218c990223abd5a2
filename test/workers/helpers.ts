/** Shared set-up for the worker tests: a run directory, data files, a pool over a fixture entry. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach } from 'vitest';

import { runPaths, type RunPaths } from '../../src/core/run-paths.js';
import type { WorkerEvent, TryOutcome, TryTask } from '../../src/core/tries.js';
import { resolveInterpreter } from '../../src/workers/interpreter.js';
import { createLocalPool, type LocalPool, type LocalPoolOptions } from '../../src/workers/pool.js';

export const ENTRIES = fileURLToPath(new URL('../fixtures/entries', import.meta.url));

export async function python(): Promise<string> {
  // MINIBATCH_TEST_PYTHON runs the suite against another interpreter (the host supports 3.8+).
  return (await resolveInterpreter(process.env['MINIBATCH_TEST_PYTHON'] ?? 'python3')).executable;
}

export interface Sandbox {
  readonly root: string;
  readonly paths: RunPaths;
  readonly data: string;
  readonly output: string;
  /** Creates files under `data/` (content = the name) and returns their absolute paths. */
  files(...names: string[]): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'minibatch-workers-'));
  const paths = runPaths(join(root, 'run'));
  const data = join(root, 'data');
  const output = join(root, 'output');
  await Promise.all([mkdir(data), mkdir(output), mkdir(paths.root)]);
  return {
    root,
    paths,
    data,
    output,
    async files(...names) {
      return Promise.all(
        names.map(async (name) => {
          const path = join(data, name);
          await writeFile(path, name);
          return path;
        }),
      );
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

export interface TestPool {
  readonly pool: LocalPool;
  readonly events: WorkerEvent[];
  /** Resolves with the first event matching `predicate` (already seen or still to come). */
  readonly event: <T extends WorkerEvent['type']>(
    type: T,
    predicate?: (e: Extract<WorkerEvent, { type: T }>) => boolean,
    timeoutMs?: number,
  ) => Promise<Extract<WorkerEvent, { type: T }>>;
  /** `waitForSlot()` then `submit()`, as the scheduler does. */
  readonly run: (items: readonly string[], miniBatch?: number, attempt?: number) => Promise<TryOutcome>;
  /** PIDs of every worker process started so far. */
  readonly pids: () => number[];
}

export async function startPool(
  box: Sandbox,
  entry: string,
  overrides: Partial<Omit<LocalPoolOptions, 'init'>> & { init?: Partial<LocalPoolOptions['init']> } = {},
): Promise<TestPool> {
  const events: WorkerEvent[] = [];
  const listeners = new Set<() => void>();
  const { init, ...rest } = overrides;
  const pool = await createLocalPool({
    python: await python(),
    processCount: 1,
    init: {
      entry: join(ENTRIES, entry),
      args: ['--output', box.output],
      workingDir: ENTRIES,
      codeDir: ENTRIES,
      logDir: box.paths.userLogs,
      outputDir: box.output,
      loggingLevel: 'INFO',
      models: {},
      inputs: {},
      rowFormat: 'lines',
      ...init,
    },
    runInvocationTimeoutMs: 30_000,
    initTimeoutMs: 30_000,
    paths: box.paths,
    runId: 'test-run',
    killGraceMs: 500,
    shutdownTimeoutMs: 2_000,
    ...rest,
    onEvent: (event) => {
      events.push(event);
      rest.onEvent?.(event);
      for (const listener of listeners) listener();
    },
  });
  const event: TestPool['event'] = (type, predicate = () => true, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = events.find((e) => e.type === type && predicate(e as Extract<WorkerEvent, { type: typeof type }>));
        if (found === undefined) return false;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(found as Extract<WorkerEvent, { type: typeof type }>);
        return true;
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no ${type} event within ${timeoutMs} ms; events: ${JSON.stringify(events)}`));
      }, timeoutMs);
      if (!check()) listeners.add(check);
    });
  let next = 0;
  return {
    pool,
    events,
    event,
    run: async (items, miniBatch = next++, attempt = 1) => {
      await pool.waitForSlot();
      return pool.submit(task(items, miniBatch, attempt));
    },
    pids: () => events.flatMap((e) => (e.type === 'worker_started' ? [e.pid] : [])),
  };
}

export function task(items: readonly string[], miniBatch = 0, attempt = 1): TryTask {
  return { miniBatch, attempt, items, context: { minibatch_index: miniBatch, partition_key_value: null, dataset_root: null }, table: null };
}

export { isAlive } from '../helpers/processes.js';

export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/**
 * A fresh sandbox for each test of a file, and every pool a test starts stopped after it. Call once
 * at the top of a test file: `let box: Sandbox; const poolFor = poolsPerTest((b) => (box = b));`.
 */
export function poolsPerTest(
  setBox: (box: Sandbox) => void,
): (entry: string, options?: Parameters<typeof startPool>[2]) => Promise<TestPool> {
  let box: Sandbox | null = null;
  let pools: TestPool[] = [];
  beforeEach(async () => {
    box = await sandbox();
    setBox(box);
  });
  afterEach(async () => {
    await Promise.all(pools.map((p) => p.pool.stop('now')));
    pools = [];
    await box?.dispose();
  });
  return async (entry, options = {}) => {
    if (box === null) throw new Error('poolsPerTest: start pools inside a test');
    const p = await startPool(box, entry, options);
    pools.push(p);
    return p;
  };
}
