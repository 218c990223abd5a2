/**
 * No orphaned Python processes, ever (docs/ARCHITECTURE.md, "Host channels"): a worker whose orchestrator died exits by
 * itself within seconds, even while run() is busy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterEach, beforeEach, expect, it } from 'vitest';

import { ENTRIES, isAlive, python, readText, sandbox, until, type Sandbox } from './helpers.js';

/**
 * The built pool (`npm run build`, as for the CLI tests): a child `node` that transpiled the
 * TypeScript sources itself took 30–45 s to start on a loaded machine, the built code 2 s.
 */
const POOL = pathToFileURL(fileURLToPath(new URL('../../dist/workers/pool.js', import.meta.url))).href;
const RUN_PATHS = pathToFileURL(fileURLToPath(new URL('../../dist/core/run-paths.js', import.meta.url))).href;

/**
 * An orchestrator to be killed: starts a pool of `processes` workers over hangs.py, submits a run()
 * that sleeps, and prints each worker's pid and readiness as JSON lines on stdout.
 */
const PARENT = `
import { join } from 'node:path';
import { runPaths } from ${JSON.stringify(RUN_PATHS)};
import { createLocalPool } from ${JSON.stringify(POOL)};

const [runDir, python, entries, item, processes] = process.argv.slice(2);
const pool = await createLocalPool({
  python,
  processCount: Number(processes),
  init: {
    entry: join(entries, 'hangs.py'), args: [], workingDir: entries, codeDir: entries,
    logDir: join(runDir, 'logs', 'user'), outputDir: runDir, loggingLevel: 'INFO',
    models: {}, inputs: {}, rowFormat: 'none',
  },
  runInvocationTimeoutMs: 600000,
  initTimeoutMs: 60000,
  paths: runPaths(runDir),
  runId: 'orphan-test',
  onEvent: (event) => {
    if (event.type === 'worker_started') console.log(JSON.stringify({ pid: event.pid }));
    if (event.type === 'worker_ready') console.log(JSON.stringify({ ready: true }));
  },
});
await pool.waitForSlot();
void pool.submit({ miniBatch: 0, attempt: 1, items: [item], context: { minibatch_index: 0, partition_key_value: null, dataset_root: null }, table: null });
`;

/** Starting Node and Python and running init() on a loaded machine: a wait, not the contract. */
const START_MS = 45_000;

let box: Sandbox;
const pids: number[] = [];
let parent: ChildProcess | undefined;

beforeEach(async () => {
  box = await sandbox();
});

afterEach(async () => {
  // Only if the test failed: leave nothing behind (a parent left alive also keeps vitest from exiting).
  parent?.kill('SIGKILL');
  parent = undefined;
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  await box.dispose();
});

/** The orchestrator with `processes` workers busy or idle over `item`; its stdout so far, and its exit. */
async function startParent(item: string, processes: number): Promise<{ out: () => string; exited: Promise<unknown> }> {
  const script = join(box.root, 'orphan-parent.mjs');
  writeFileSync(script, PARENT);
  const child = spawn(process.execPath, [script, box.paths.root, await python(), ENTRIES, item, String(processes)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  parent = child;
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (out += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { out: () => out, exited };
}

it('a worker busy in run() dies within 5 s of its orchestrator being SIGKILLed', async () => {
  const [item] = await box.files('sleep-600000');
  const { out, exited } = await startParent(item as string, 1);

  await until(() => out().includes('"ready"'), START_MS, 'the worker to be ready');
  const worker = (JSON.parse(out().split('\n')[0] as string) as { pid: number }).pid;
  pids.push(worker);
  await until(() => readText(box.paths.stdout('worker-0')).includes('sleeping sleep-600000'), START_MS, 'run() to be busy');

  parent?.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  await until(() => !isAlive(worker), 5000, `worker pid ${worker} to exit after its orchestrator died`);
  expect(Date.now() - killedAt).toBeLessThan(5000);
});

it('forked workers, busy or idle, and their fork server are gone within 5 s of the orchestrator being SIGKILLed', async () => {
  const [item] = await box.files('sleep-600000');
  const { out, exited } = await startParent(item as string, 2);

  await until(() => out().split('"ready"').length === 3, START_MS, 'both workers to be ready');
  const workers = out().split('\n').flatMap((line) => (line.includes('"pid"') ? [(JSON.parse(line) as { pid: number }).pid] : []));
  expect(workers).toHaveLength(2);
  const server = Number(readText(`/proc/${workers[0]}/stat`).replace(/^.*\) /s, '').split(' ')[1]);
  expect(server).not.toBe(parent?.pid);
  pids.push(...workers, server);
  const busy = (): boolean => [0, 1].some((i) => readText(box.paths.stdout(`worker-${i}`)).includes('sleeping sleep-600000'));
  await until(busy, START_MS, 'run() to be busy');

  parent?.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  await until(() => [...workers, server].every((pid) => !isAlive(pid)), 5000, `workers ${workers.join(', ')} and fork server ${server} to exit`);
  expect(Date.now() - killedAt).toBeLessThan(5000);
});
