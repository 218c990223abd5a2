/**
 * Many machines through Redis, end to end: an orchestrator that runs no Python itself
 * (`--processes 0`) and `minibatch worker` processes started from other folders, as on other
 * machines. What a user sees: rows exactly once and in order, exit codes, which worker ran what, and
 * that a dead machine or a killed orchestrator loses nothing.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import type { JobResult } from '../../src/report/result.js';
import { runCli } from '../helpers/cli.js';
import { isAlive } from '../helpers/processes.js';
import { names } from '../helpers/module.js';
import { describeWithRedis, redisPerSuite, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { clusterEnv, killMachine, readCalls, recordingModule, redisRunArgs, startCli, until } from './helpers.js';

function rows(out: string): string[] {
  return readFileSync(join(out, 'parallel_run_step.txt'), 'utf8').trim().split('\n');
}

function jobResult(runDir: string): JobResult {
  return JSON.parse(readFileSync(join(runDir, 'logs', 'job_result.json'), 'utf8')) as JobResult;
}

function elsewhere(): string {
  return mkdtempSync(join(tmpdir(), 'mb-machine-'));
}

describeWithRedis('many machines through Redis', () => {
  let server: RedisServer;
  let redis: Redis;
  redisPerSuite((s, r) => {
    server = s;
    redis = r;
  });

  it('two workers started elsewhere run every mini-batch from the code snapshot, rows once and in order', async () => {
    const m = recordingModule({ files: names(20), settings: { outputAction: 'append_row', miniBatchSize: 2 } });
    const prefix = uniquePrefix('two-workers');
    // Rows of 2 × 5 KB: over the size that travels inside a job, so they go through their own keys.
    // run() waits at the gate until both machines have started a mini-batch: one that found the run
    // first cannot run them all before the other joins, however slow the machine.
    const gate = join(m.root, 'gate');
    const env = clusterEnv(prefix, { CALLS_FILE: m.calls, SLEEP_MS: '150', ROW_PAD: '5000', GATE_FILE: gate });
    const workers = [1, 2].map(() => startCli(['worker', server.bareUrl, '--processes', '1'], { cwd: elsewhere(), env }));
    for (const worker of workers) await worker.waitFor(/waiting for runs/);
    const orchestrator = startCli(redisRunArgs(m, server, ['--processes', '0']), { env });
    await orchestrator.waitFor(/Redis backend: run \S+ published/);
    // The module's folder goes away once the run started: workers must run the snapshot.
    renameSync(m.moduleDir, `${m.moduleDir}-moved`);
    await until(() => new Set(readCalls(m.calls).map((c) => c.worker)).size === 2, 'both machines to start a mini-batch');
    writeFileSync(gate, '');

    const run = await orchestrator.exited;
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Succeeded: Every mini-batch succeeded.');
    expect(run.stderr).not.toContain('warning');
    expect(rows(m.out)).toEqual(names(20).map((n) => `${n}:${'x'.repeat(5000)}`));
    for (const worker of workers) {
      await worker.waitFor(/run \S+ finished/);
      worker.child.kill('SIGTERM');
      const w = await worker.exited;
      expect(w.exitCode).toBe(0);
      expect(w.stdout).toMatch(/serving run \S+ \(Test Module 0\.0\.1, started on \S+\) with 1 process: code [0-9a-f]{12}/);
      expect(w.stdout).toMatch(/run \S+ finished: this machine ran \d+ tries?/);
    }
    const calls = readCalls(m.calls);
    expect(calls.map((c) => c.miniBatch).sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    // Both machines took part, and each ran the snapshot from its cache, not the module's folder.
    expect(new Set(calls.map((c) => c.worker.replace(/-worker-\d+$/, ''))).size).toBe(2);
    for (const call of calls) expect(call.codeDir).toContain(join(env.MINIBATCH_CACHE_DIR ?? '', 'snapshots'));
    // Worker logs land in the run directory, which both "machines" see.
    expect(jobResult(m.runDir)).toMatchObject({ status: 'succeeded', tries: 10, rows: 20 });
    // The run's queue, rows and snapshot are gone from Redis; its record says it finished.
    expect(await redis.keys(`${prefix}:bull:*`)).toEqual([]);
    expect(await redis.keys(`${prefix}:snapshot:*`)).toEqual([]);
    expect(await redis.keys(`${prefix}:rows:*`)).toEqual([]);
    expect(await redis.hget(`${prefix}:run:${jobResult(m.runDir).runId}`, 'state')).toBe('finished');
  });

  it('a worker machine killed mid-batch: its mini-batches return to the queue and are done elsewhere', async () => {
    const m = recordingModule({ files: names(10), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
    // A lock of 4 s, not 1.5 s: on a loaded machine the survivor's renewals (every half lock) can
    // come late enough for its own mini-batch to stall a second time, which fails it as lost.
    const env = clusterEnv(uniquePrefix('kill-worker'), { CALLS_FILE: m.calls, SLEEP_MS: '300', MINIBATCH_REDIS_LOCK_MS: '4000' });
    const orchestrator = startCli(redisRunArgs(m, server, ['--processes', '0']), { env });
    await orchestrator.waitFor(/Redis backend: run/);
    const doomed = startCli(['worker', server.bareUrl, '--processes', '1'], { cwd: elsewhere(), env });
    await until(() => readCalls(m.calls).length >= 1, 'the doomed worker to start a mini-batch');
    const survivor = startCli(['worker', server.bareUrl, '--processes', '2', '--once'], { cwd: elsewhere(), env });
    // kill -9 of the machine's worker and its Python children, mid-batch.
    await until(() => readCalls(m.calls).length >= 2, 'a second mini-batch to start');
    const killedPids = killMachine(doomed.pid);
    const lost = readCalls(m.calls).filter((c) => killedPids.includes(c.pid)).map((c) => c.miniBatch);
    expect(lost.length).toBeGreaterThan(0);

    const run = await orchestrator.exited;
    expect(run.exitCode).toBe(0);
    expect(rows(m.out)).toEqual(names(10));
    expect((await survivor.exited).exitCode).toBe(0);
    const calls = readCalls(m.calls);
    // What the dead machine was running ran again on the survivor.
    const lastMiniBatch = lost.at(-1) ?? -1;
    expect(calls.filter((c) => c.miniBatch === lastMiniBatch && !killedPids.includes(c.pid))).toHaveLength(1);
    // A lost lock is not a failed try: every mini-batch succeeded at its first committed try.
    const errors = join(m.runDir, 'logs', 'job_error.txt');
    const failedTries = existsSync(errors) ? readFileSync(errors, 'utf8') : '';
    expect(jobResult(m.runDir), failedTries).toMatchObject({ status: 'succeeded', tries: 10, miniBatches: { succeeded: 10 } });
  });

  it('SIGTERM to a worker: its running mini-batch finishes, the prefetched one goes back, exit 0', async () => {
    const m = recordingModule({ files: names(6), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
    // The first mini-batch waits at the gate until the worker was told to stop: it is still running
    // then, however slow the machine.
    const gate = join(m.root, 'gate');
    const env = clusterEnv(uniquePrefix('sigterm'), { CALLS_FILE: m.calls, SLEEP_MS: '500', GATE_FILE: gate });
    const orchestrator = startCli(redisRunArgs(m, server, ['--processes', '0']), { env });
    await orchestrator.waitFor(/Redis backend: run/);
    const leaving = startCli(['worker', server.bareUrl, '--processes', '1'], { cwd: elsewhere(), env });
    await until(() => readCalls(m.calls).length >= 1, 'the first mini-batch to start');
    leaving.child.kill('SIGTERM');
    await leaving.waitFor(/stopping: running mini-batches finish/);
    writeFileSync(gate, '');
    const left = await leaving.exited;
    expect(left.exitCode).toBe(0);
    expect(left.stderr).toContain('stopping: running mini-batches finish');
    expect(left.stdout).toMatch(/run \S+ left \(this worker is stopping\): this machine ran 1 try \(1 succeeded, 0 failed\), 1 given back unstarted/);
    const stayer = startCli(['worker', server.bareUrl, '--processes', '2', '--once'], { cwd: elsewhere(), env });
    expect((await orchestrator.exited).exitCode).toBe(0);
    expect((await stayer.exited).exitCode).toBe(0);
    expect(rows(m.out)).toEqual(names(6));
    // Each mini-batch ran once: the one running at SIGTERM finished there, and nothing was charged twice.
    expect(readCalls(m.calls).map((c) => c.miniBatch).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(jobResult(m.runDir)).toMatchObject({ status: 'succeeded', tries: 6 });
  });

  it('an orchestrator killed mid-run: `minibatch resume` reconnects, collects what finished meanwhile, and finishes', async () => {
    const m = recordingModule({ files: names(16), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
    const env = clusterEnv(uniquePrefix('kill-orchestrator'), { CALLS_FILE: m.calls, SLEEP_MS: '150' });
    const worker = startCli(['worker', server.bareUrl, '--processes', '2'], { cwd: elsewhere(), env });
    await worker.waitFor(/waiting for runs/);
    // The orchestrator SIGKILLs itself after its 4th commit, with mini-batches in flight.
    const first = await runCli(redisRunArgs(m, server, ['--processes', '0']), {
      env: { ...env, MINIBATCH_TEST_KILL_AT: 'committed:4' },
    });
    expect(first.signal).toBe('SIGKILL');
    // Workers go on with what is queued while the orchestrator is away.
    await new Promise((r) => setTimeout(r, 600));

    const resumed = await runCli(['resume', m.runDir, '--no-progress'], { env });
    expect(resumed.stderr).not.toContain('error');
    expect(resumed.exitCode).toBe(0);
    expect(rows(m.out)).toEqual(names(16));
    expect(jobResult(m.runDir)).toMatchObject({ status: 'succeeded', miniBatches: { succeeded: 16 } });
    // Nothing ran twice: what finished while the orchestrator was away was collected, not redone.
    expect(readCalls(m.calls)).toHaveLength(16);
    await worker.waitFor(/run \S+ finished/);
    worker.child.kill('SIGTERM');
    const w = await worker.exited;
    expect(w.exitCode).toBe(0);
    expect(w.stdout).toMatch(/served 1 run; ran \d+ tries? of mini-batches/);
  });

  it('resume --processes 0 --backend URL: the run continues on the workers alone, at the address given', async () => {
    const m = recordingModule({ files: names(12), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
    const env = clusterEnv(uniquePrefix('resume-elsewhere'), { CALLS_FILE: m.calls, SLEEP_MS: '100' });
    // Started with Python of its own, killed after its 3rd commit.
    const first = await runCli(redisRunArgs(m, server, ['--processes', '1']), { env: { ...env, MINIBATCH_TEST_KILL_AT: 'committed:3' } });
    expect(first.signal).toBe('SIGKILL');
    // Its own worker may still run what it had prefetched; it exits within seconds (docs/ARCHITECTURE.md, "Host channels").
    const own = new Set(readCalls(m.calls).map((c) => c.pid));
    await until(() => [...own].every((pid) => !isAlive(pid)), 'the killed orchestrator’s worker to exit');
    // It joins the run at once: the run is still registered, waiting for its orchestrator.
    const before = readCalls(m.calls).length;
    const worker = startCli(['worker', server.bareUrl, '--processes', '1'], { cwd: elsewhere(), env });
    await worker.waitFor(/serving run /);

    const local = await runCli(['resume', m.runDir, '--backend', 'local'], { env });
    expect(local.exitCode).toBe(2);
    expect(local.stderr).toContain(`${m.runDir} runs on Redis (redis://127.0.0.1:${server.port}/0), where its queue and workers are: it continues there`);

    const address = `redis://localhost:${server.port}`;
    const resumed = await runCli(['resume', m.runDir, '--no-progress', '--processes', '0', '--backend', address], { env });
    expect(resumed.stderr).not.toContain('error');
    expect(resumed.exitCode).toBe(0);
    expect(rows(m.out)).toEqual(names(12));
    // Run by the worker elsewhere, none by this machine's own (worker-<slot>).
    const after = readCalls(m.calls).slice(before);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((c) => c.worker.startsWith('worker-'))).toEqual([]);
    const stored = (JSON.parse(readFileSync(join(m.runDir, 'run.json'), 'utf8')) as { backend: unknown }).backend;
    expect(stored).toMatchObject({ kind: 'redis', url: `redis://localhost:${server.port}/0`, processes: 0 });
    worker.child.kill('SIGTERM');
    expect((await worker.exited).exitCode).toBe(0);
  });
});
