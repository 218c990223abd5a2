/**
 * A Redis that runs out of memory under `maxmemory-policy noeviction` refuses writes (`OOM`): the
 * run stops with a message and exit 3 (never a stack trace, never mini-batches failed for it), a
 * resume while it is still full says the same, and a resume once it has room finishes exactly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import type { JobResult } from '../../src/report/result.js';
import { runCli } from '../helpers/cli.js';
import { names } from '../helpers/module.js';
import { describeWithRedis, startRedisServer, uniquePrefix } from '../helpers/redis-server.js';
import { clusterEnv, readCalls, recordingModule, redisRunArgs, startCli, until } from './helpers.js';

function jobResult(runDir: string): JobResult {
  return JSON.parse(readFileSync(join(runDir, 'logs', 'job_result.json'), 'utf8')) as JobResult;
}

describeWithRedis('Redis out of memory (maxmemory under noeviction)', () => {
  it('run and resume say so and exit 3, nothing lost; a resume once Redis has room finishes with exact rows', async () => {
    const server = await startRedisServer();
    const admin = new Redis(server.url);
    try {
      const m = recordingModule({ files: names(8), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
      // Rows over 8 KB: the worker stores them under a key of their own, a write that fails too.
      const env = clusterEnv(uniquePrefix('oom'), { CALLS_FILE: m.calls, SLEEP_MS: '150', ROW_PAD: '9000', MINIBATCH_REDIS_HEARTBEAT_MS: '200' });
      const orchestrator = startCli(redisRunArgs(m, server, ['--processes', '1']), { env });
      await until(() => readCalls(m.calls).length >= 3, 'a few mini-batches');
      await admin.config('SET', 'maxmemory', '1');

      const at = `Redis at redis://127.0.0.1:${server.port}/0 is out of memory: it reached its maxmemory and, under ` +
        'maxmemory-policy noeviction, refuses writes, so the run cannot go on. Nothing committed is lost';
      const fix = `(redis-cli -h 127.0.0.1 -p ${server.port} CONFIG SET maxmemory 2gb, and in redis.conf), or keep less ` +
        'in it at once: fewer rows in flight (fewer processes, a smaller miniBatchSize) or smaller rows';
      const stopped = await orchestrator.exited;
      expect(stopped.exitCode).toBe(3);
      expect(stopped.stdout).toContain(at);
      expect(stopped.stdout).toContain(fix);
      expect(stopped.stdout).toContain(`continue with \`minibatch resume ${m.runDir}\``);
      expect(stopped.stdout + stopped.stderr).not.toMatch(/\n\s+at /);
      const result = jobResult(m.runDir);
      // Redis failed, not the mini-batches: none is charged a failed try for it.
      expect(result).toMatchObject({ status: 'failed', miniBatches: { failed: 0 } });
      expect(result.miniBatches.succeeded).toBeLessThan(8);

      const stillFull = await runCli(['resume', m.runDir], { env });
      expect(stillFull.exitCode).toBe(3);
      expect(stillFull.stderr).toContain(`error: ${at}`);
      expect(stillFull.stdout + stillFull.stderr).not.toMatch(/\n\s+at /);

      await admin.config('SET', 'maxmemory', '0');
      const resumed = await runCli(['resume', m.runDir], { env });
      expect(resumed.exitCode).toBe(0);
      const rows = readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8').trim().split('\n');
      expect(rows.map((r) => r.split(':')[0])).toEqual(names(8));
      expect(jobResult(m.runDir)).toMatchObject({ status: 'succeeded', miniBatches: { succeeded: 8 } });
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });
});
