/**
 * Faults a run on Redis survives, and settings that mean what they mean locally: a Redis
 * restart loses nothing, an evicting Redis and missing machines are warnings, a threshold empties
 * the queue, and timeouts and retries count the same tries as the local backend.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import type { JobResult } from '../../src/report/result.js';
import { runCli } from '../helpers/cli.js';
import { makeModule, moduleArgs, names, type TestModule } from '../helpers/module.js';
import { describeWithRedis, redisPerSuite, startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { clusterEnv, readCalls, recordingModule, redisRunArgs, startCli, until } from './helpers.js';

function jobResult(runDir: string): JobResult {
  return JSON.parse(readFileSync(join(runDir, 'logs', 'job_result.json'), 'utf8')) as JobResult;
}

function rows(out: string): string[] {
  return readFileSync(join(out, 'parallel_run_step.txt'), 'utf8').trim().split('\n');
}

/** Each try as `mini-batch attempt outcome status`, in order: what processed_mini_batches.csv says, minus who and when. */
function tries(m: TestModule): string[] {
  const file = join(m.runDir, 'logs', 'sys', 'processed_mini_batches.csv');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const f = line.split(',');
      return `${f[0]} ${f[1]} ${f[5]} ${f[6]}`;
    })
    .sort();
}

describeWithRedis('a run on Redis under faults', () => {
  let server: RedisServer;
  let redis: Redis;
  redisPerSuite((s, r) => {
    server = s;
    redis = r;
  });

  it('a run whose orchestrator was killed and not resumed does not hold the workers: they serve the next run', async () => {
    const env = clusterEnv(uniquePrefix('silent'), { MINIBATCH_REDIS_HEARTBEAT_MS: '200', SLEEP_MS: '300' });
    const abandoned = recordingModule({ files: names(12), settings: { miniBatchSize: 1 } });
    const next = recordingModule({ files: names(4), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
    const worker = startCli(['worker', server.url, '--processes', '1'], { env: { ...env, CALLS_FILE: abandoned.calls } });
    await worker.waitFor(/waiting for runs/);
    const first = startCli(redisRunArgs(abandoned, server, ['--processes', '0']), { env: { ...env, CALLS_FILE: abandoned.calls } });
    await worker.waitFor(/serving run/);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = startCli(redisRunArgs(next, server, ['--processes', '0']), { env: { ...env, CALLS_FILE: next.calls } });
    const run = await second.exited;
    expect(run.exitCode).toBe(0);
    expect(rows(next.out)).toHaveLength(4);
    await worker.waitFor(/its orchestrator went silent/);
    worker.child.kill('SIGTERM');
    expect((await worker.exited).exitCode).toBe(0);
  });

  it('Redis restarts mid-run (with persistence): everyone waits, says so, and nothing is lost', async () => {
    const durable = await startRedisServer({ persistence: true });
    try {
      const m = recordingModule({ files: names(16), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
      const env = clusterEnv(uniquePrefix('restart'), { CALLS_FILE: m.calls, SLEEP_MS: '150' });
      // A worker waiting for runs, and an orchestrator that serves its run too.
      const worker = startCli(['worker', durable.url, '--processes', '1'], { env });
      await worker.waitFor(/waiting for runs/);
      const orchestrator = startCli(redisRunArgs(m, durable, ['--processes', '1']), { env });
      await worker.waitFor(/serving run/);
      await until(() => readCalls(m.calls).length >= 3, 'a few mini-batches');
      await durable.restart({ hard: true, downMs: 700 });

      const run = await orchestrator.exited;
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toMatch(/Redis unreachable, retrying in [\d.]+s \(redis:\/\/127\.0\.0\.1:\d+\/0: [^)]+\)/);
      expect(run.stderr).toMatch(/Redis reachable again after [\d.]+s/);
      expect(rows(m.out)).toEqual(names(16));
      expect(jobResult(m.runDir)).toMatchObject({ status: 'succeeded', miniBatches: { succeeded: 16 } });
      await worker.waitFor(/run \S+ finished/);
      worker.child.kill('SIGTERM');
      const w = await worker.exited;
      expect(w.exitCode).toBe(0);
      expect(w.stderr).toMatch(/Redis reachable again after/);
      expect(w.stderr).not.toContain('warning');
    } finally {
      await durable.stop();
    }
  });

  it('Redis loses the run (a restart without persistence, a flush): the run stops and says so; resume finishes it', async () => {
    const m = recordingModule({ files: names(16), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
    const prefix = uniquePrefix('lost');
    const env = clusterEnv(prefix, { CALLS_FILE: m.calls, SLEEP_MS: '150', MINIBATCH_REDIS_HEARTBEAT_MS: '200' });
    const orchestrator = startCli(redisRunArgs(m, server, ['--processes', '1']), { env });
    await until(() => readCalls(m.calls).length >= 3, 'a few mini-batches');
    const lost = await redis.keys(`${prefix}*`);
    expect(lost.length).toBeGreaterThan(0);
    await redis.del(...lost);

    // A run that hangs here fails with what it printed, not with vitest's bare timeout.
    const run = await Promise.race([
      orchestrator.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`the run did not stop within 120 s:\n${orchestrator.stdout()}\n${orchestrator.stderr()}`)), 120_000).unref(),
      ),
    ]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`no longer holds run ${jobResult(m.runDir).runId} (it restarted without persistence, or was flushed)`);
    expect(run.stdout).toContain('the mini-batches queued or running there are lost to it; nothing committed is lost.');
    expect(run.stdout).toContain(`continue with \`minibatch resume ${m.runDir}\``);
    const stopped = jobResult(m.runDir);
    expect(stopped.status).toBe('failed');
    expect(stopped.miniBatches.succeeded).toBeLessThan(16);

    const resumed = await runCli(['resume', m.runDir], { env });
    expect(resumed.exitCode).toBe(0);
    expect(rows(m.out)).toEqual(names(16));
    expect(jobResult(m.runDir)).toMatchObject({ status: 'succeeded', miniBatches: { succeeded: 16 } });
  });

  it('warns when Redis may evict, and when fewer machines join than nodeCount; the run goes on', async () => {
    const evicting = await startRedisServer({ maxmemoryPolicy: 'allkeys-lru' });
    try {
      const m = recordingModule({ files: names(6), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
      // run() waits at the gate until the warning is out, so the run outlasts the grace however slow
      // the machine; the grace gives this machine's own process time to join first.
      const gate = join(m.root, 'gate');
      const env = clusterEnv(uniquePrefix('warnings'), { CALLS_FILE: m.calls, GATE_FILE: gate, MINIBATCH_REDIS_JOIN_GRACE_MS: '4000' });
      const orchestrator = startCli(redisRunArgs(m, evicting, ['--processes', '1', '--nodes', '2']), { env });
      await orchestrator.waitFor(/warning: nodeCount is 2/);
      writeFileSync(gate, '');
      const r = await orchestrator.exited;
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toContain('has maxmemory-policy allkeys-lru; minibatch needs noeviction');
      expect(r.stderr).toMatch(/warning: nodeCount is 2, but after [\d.]+s only 1 machine has \(\S+\) joined run \S+; it goes on/);
      expect(rows(m.out)).toEqual(names(6));
    } finally {
      await evicting.stop();
    }
  });

  it('a threshold trips: the run fails, its queue is emptied, and workers leave it', async () => {
    const m = makeModule({ entry: 'raises', files: [...names(3), 'bad-x', ...names(10, 'g')] });
    const prefix = uniquePrefix('threshold');
    const env = clusterEnv(prefix);
    const args = [...moduleArgs(m), '--backend', server.url, '--processes', '0', '--mini-batch-size', '1'];
    const orchestrator = startCli([...args, '--allowed-failed-count', '0', '--run-max-try', '1'], { env });
    await orchestrator.waitFor(/Redis backend: run/);
    const worker = startCli(['worker', server.url, '--processes', '1', '--once'], { env });

    const run = await orchestrator.exited;
    expect(run.exitCode).toBe(1);
    const result = jobResult(m.runDir);
    expect(result).toMatchObject({ status: 'failed', miniBatches: { failed: 1 } });
    expect(result.reason).toContain('allowedFailedCount');
    expect(result.miniBatches.notRun).toBeGreaterThan(0);
    const w = await worker.exited;
    expect(w.exitCode).toBe(0);
    expect(w.stdout).toMatch(/run \S+ failed: this machine ran/);
    expect(await redis.hget(`${prefix}:run:${result.runId}`, 'state')).toBe('failed');
    expect(await redis.keys(`${prefix}:bull:*`)).toEqual([]);
  });

  it('every worker fails init(): the run fails with the traceback, as locally', async () => {
    const m = makeModule({ entry: 'init_raises', files: names(4) });
    const r = await runCli([...moduleArgs(m), '--backend', server.url, '--processes', '1'], { env: clusterEnv(uniquePrefix('init')) });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('no machine can serve run');
    expect(r.stdout).toContain("FileNotFoundError: model.pkl is missing");
  });

  it('timeouts and retries count the same tries as on the local backend', async () => {
    const settings = { outputAction: 'append_row', miniBatchSize: 1 };
    const cases = [
      { entry: 'hangs', files: ['sleep-10-a', 'hang-b', 'sleep-10-c'], flags: ['--run-invocation-timeout', '1s', '--run-max-try', '2'] },
      { entry: 'flaky', files: names(3), flags: [] },
    ];
    for (const c of cases) {
      const local = makeModule({ entry: c.entry, files: c.files, settings });
      const onRedis = makeModule({ entry: c.entry, files: c.files, settings });
      const env = clusterEnv(uniquePrefix(c.entry));
      const [l, r] = await Promise.all([
        runCli([...moduleArgs(local), '--processes', '1', ...c.flags]),
        (async () => {
          const orchestrator = startCli([...moduleArgs(onRedis), '--backend', server.url, '--processes', '0', ...c.flags], { env });
          await orchestrator.waitFor(/Redis backend: run/);
          const worker = startCli(['worker', server.url, '--processes', '1', '--once'], { env });
          await worker.exited;
          return orchestrator.exited;
        })(),
      ]);
      expect(r.exitCode).toBe(l.exitCode);
      const [lr, rr] = [jobResult(local.runDir), jobResult(onRedis.runDir)];
      for (const field of ['status', 'miniBatches', 'items', 'tries', 'rows'] as const) expect(rr[field]).toEqual(lr[field]);
      expect(rr.firstErrors.map((e) => [e.miniBatch, e.attempt, e.outcome, e.type])).toEqual(
        lr.firstErrors.map((e) => [e.miniBatch, e.attempt, e.outcome, e.type]),
      );
      expect(tries(onRedis)).toEqual(tries(local));
    }
  });
});
