/**
 * A small job for the resume and crash tests: a module whose entry script (`records_calls.py`)
 * records every `run()` call in a side file, numbered data files, and helpers that read what a user
 * (and the test) can see afterwards: the rows file, the ledger, the calls.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';

const ENTRY = fileURLToPath(new URL('../fixtures/entries/records_calls.py', import.meta.url));

const MODULE_YAML = `amlModuleIdentifier: {moduleName: Records Calls, moduleVersion: 1.0.0}
jobType: parallel
inputs:
  - {name: Data, type: AnyDirectory}
outputs:
  - {name: Out, type: AnyDirectory}
implementation:
  parallel:
    amlEnvironment: {}
    inputData: Data
    outputData: Out
    entry: records_calls.py
    args: []
`;

export interface TestJob {
  readonly root: string;
  readonly spec: string;
  readonly data: string;
  /** The side file the entry script appends `<index> <pid>` to. */
  readonly calls: string;
  /** Creating it makes files named `bad…` succeed (the user fixed their data). */
  readonly fixed: string;
  /** While it exists, every `run()` call waits: a live run held still. */
  readonly hold: string;
  /** `minibatch run …` arguments for a run in `runDir`. */
  runArgs(runDir: string, extra?: readonly string[]): string[];
}

export interface JobOptions {
  /** File names (content: `content of <name>`), sorted by the listing. */
  readonly files: readonly string[];
  /** @default 2 */
  readonly miniBatchSize?: number;
  /** Per `run()` call. @default 0 */
  readonly sleepMs?: number;
  /** Worker processes. @default 2 */
  readonly processes?: number;
}

export function makeJob(root: string, opts: JobOptions): TestJob {
  const moduleDir = join(root, 'module');
  const data = join(root, 'data');
  mkdirSync(moduleDir, { recursive: true });
  mkdirSync(data, { recursive: true });
  writeFileSync(join(moduleDir, 'module.yaml'), MODULE_YAML);
  copyFileSync(ENTRY, join(moduleDir, 'records_calls.py'));
  for (const name of opts.files) writeFileSync(join(data, name), `content of ${name}\n`);
  const spec = join(moduleDir, 'module.yaml');
  const calls = join(root, 'calls.txt');
  const fixed = join(root, 'fixed');
  const hold = join(root, 'hold');
  return {
    root,
    spec,
    data,
    calls,
    fixed,
    hold,
    runArgs: (runDir, extra = []) => [
      'run', spec,
      '--input', `Data=${data}`,
      '--mini-batch-size', String(opts.miniBatchSize ?? 2),
      '--processes', String(opts.processes ?? 2),
      '--output-action', 'append_row',
      '--env', `CALLS_FILE=${calls}`,
      '--env', `SLEEP_MS=${opts.sleepMs ?? 0}`,
      '--env', `FIXED_FILE=${fixed}`,
      '--env', `HOLD_FILE=${hold}`,
      '--run-dir', runDir,
      '--no-progress',
      ...extra,
    ],
  };
}

/** `f00.txt` … `f<n-1>.txt`. */
export function fileNames(n: number, prefix = 'f'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}.txt`);
}

/** The rows a correct run writes for `files`, in order. */
export function expectedRows(files: readonly string[]): string[] {
  return [...files].sort().map((name) => `${name} content of ${name}`);
}

/** The append_row file's lines, or null when it does not exist. */
export function rowsOf(runDir: string): string[] | null {
  const file = join(runDir, 'outputs', 'out', 'parallel_run_step.txt');
  if (!existsSync(file)) return null;
  return readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
}

/** Mini-batch indexes whose `run()` was called, in call order (one per call). */
export function callsOf(job: TestJob): number[] {
  if (!existsSync(job.calls)) return [];
  return readFileSync(job.calls, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => Number(line.split(' ')[0]));
}

/**
 * Mini-batches the ledger holds as committed (succeeded, partial or failed; or only `status`), read
 * directly from state.db.
 */
export function committedIn(runDir: string, status?: 'succeeded'): Set<number> {
  const file = join(runDir, 'state.db');
  if (!existsSync(file)) return new Set();
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    // A ledger being created has no tables yet.
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'mini_batches'").get() === undefined) return new Set();
    const where = status === undefined ? "status <> 'pending'" : `status = '${status}'`;
    const rows = db.prepare(`SELECT idx FROM mini_batches WHERE ${where}`).pluck().all() as number[];
    return new Set(rows);
  } finally {
    db.close();
  }
}

/**
 * `minibatch …args`; `killAfterMs` SIGKILLs it then (a random-time crash). By default only a hung
 * command is killed: on a loaded machine a resume of a table took over 30 s.
 */
export async function cli(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  cwd?: string,
  killAfterMs = 180_000,
): Promise<CliResult> {
  return runCli(args, { env: { MINIBATCH_TEST_KILL_AT: undefined, ...env }, ...(cwd === undefined ? {} : { cwd }), timeoutMs: killAfterMs });
}

/** Fails with the output when the exit code is not `code`. */
export function expectExit(result: CliResult, code: number | 'SIGKILL'): void {
  const got = result.signal ?? result.exitCode;
  expect(got, `exit ${String(got)}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

/**
 * `minibatch …args`, SIGKILLed `delayMs` after the side file holds `calls` calls (while mini-batches
 * run), or left to end when it never gets there.
 */
export async function cliKilledAfterCalls(args: readonly string[], job: TestJob, calls: number, delayMs: number): Promise<CliResult> {
  const child = spawn(CLI, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINIBATCH_TEST_KILL_AT: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (code, signal) => resolve([code, signal])));
  let done = false;
  void closed.then(() => (done = true));
  while (!done && callsOf(job).length < calls) await sleep(5);
  if (!done) {
    await sleep(delayMs);
    child.kill('SIGKILL');
  }
  const [exitCode, signal] = await closed;
  return { stdout, stderr, exitCode, signal };
}
