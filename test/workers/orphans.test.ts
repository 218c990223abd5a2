/**
 * No orphaned Python processes, ever (docs/ARCHITECTURE.md, "Host channels"): a worker whose orchestrator died exits by
 * itself within seconds, even while run() is busy.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, expect, it } from 'vitest';

import { ENTRIES, isAlive, python, readText, sandbox, until, type Sandbox } from './helpers.js';
import { NODE_TS_ARGS } from './node-ts.js';

const PARENT = fileURLToPath(new URL('../fixtures/workers/orphan-parent.ts', import.meta.url));

let box: Sandbox;
const pids: number[] = [];

beforeEach(async () => {
  box = await sandbox();
});

afterEach(async () => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL'); // only if the test failed: leave nothing behind
    } catch {
      // gone, as it should be
    }
  }
  await box.dispose();
});

it('a worker busy in run() dies within 5 s of its orchestrator being SIGKILLed', async () => {
  const [item] = await box.files('sleep-600000');
  const parent = spawn(process.execPath, [...NODE_TS_ARGS, PARENT, box.paths.root, await python(), ENTRIES, item as string], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  parent.stdout.setEncoding('utf8');
  parent.stdout.on('data', (chunk: string) => (out += chunk));
  const exited = new Promise((resolve) => parent.on('exit', resolve));

  await until(() => out.includes('"ready"'), 20_000, 'the worker to be ready');
  const worker = (JSON.parse(out.split('\n')[0] as string) as { pid: number }).pid;
  pids.push(worker);
  await until(() => readText(box.paths.stdout('worker-0')).includes('sleeping sleep-600000'), 10_000, 'run() to be busy');

  parent.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  await until(() => !isAlive(worker), 5000, `worker pid ${worker} to exit after its orchestrator died`);
  expect(Date.now() - killedAt).toBeLessThan(5000);
});

it('forked workers, busy or idle, and their fork server are gone within 5 s of the orchestrator being SIGKILLed', async () => {
  const [item] = await box.files('sleep-600000');
  const parent = spawn(process.execPath, [...NODE_TS_ARGS, PARENT, box.paths.root, await python(), ENTRIES, item as string, '2'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  parent.stdout.setEncoding('utf8');
  parent.stdout.on('data', (chunk: string) => (out += chunk));
  const exited = new Promise((resolve) => parent.on('exit', resolve));

  await until(() => out.split('"ready"').length === 3, 20_000, 'both workers to be ready');
  const workers = out.split('\n').flatMap((line) => (line.includes('"pid"') ? [(JSON.parse(line) as { pid: number }).pid] : []));
  expect(workers).toHaveLength(2);
  const server = Number(readText(`/proc/${workers[0]}/stat`).replace(/^.*\) /s, '').split(' ')[1]);
  expect(server).not.toBe(parent.pid);
  pids.push(...workers, server);
  await until(() => readText(box.paths.stdout('worker-0')).includes('sleeping sleep-600000') || readText(box.paths.stdout('worker-1')).includes('sleeping sleep-600000'), 10_000, 'run() to be busy');

  parent.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  await until(() => [...workers, server].every((pid) => !isAlive(pid)), 5000, `workers ${workers.join(', ')} and fork server ${server} to exit`);
  expect(Date.now() - killedAt).toBeLessThan(5000);
});
