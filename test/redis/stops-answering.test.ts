/**
 * A Redis that answered the start-up check and then stops answering mid-run (a stuck proxy, a
 * paused server, a network cut): nothing waits on it for ever. The run says so and waits a bounded
 * time, going on if Redis answers again, else stopping with exit 3 and nothing lost; a worker lets
 * go of it, checks again with backoff, and serves again once it answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { JobResult } from '../../src/report/result.js';
import { runCli } from '../helpers/cli.js';
import { startFreezingProxy, type FreezingProxy } from '../helpers/freezing-proxy.js';
import { names } from '../helpers/module.js';
import { describeWithRedis, redisPerSuite, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { clusterEnv, readCalls, recordingModule, startCli, until } from './helpers.js';

function jobResult(runDir: string): JobResult {
  return JSON.parse(readFileSync(join(runDir, 'logs', 'job_result.json'), 'utf8')) as JobResult;
}

function rows(out: string): string[] {
  return readFileSync(join(out, 'parallel_run_step.txt'), 'utf8').trim().split('\n');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

describeWithRedis('Redis stops answering mid-run', () => {
  let server: RedisServer;
  redisPerSuite((s) => {
    server = s;
  });
  let proxy: FreezingProxy;
  beforeEach(async () => {
    proxy = await startFreezingProxy({ host: server.host, port: server.port });
  });
  afterEach(async () => {
    await proxy.close();
  });

  /** `minibatch run` of `m` on Redis through the proxy. */
  function runArgs(m: ReturnType<typeof recordingModule>, extra: readonly string[]): string[] {
    return ['run', m.spec, '--input', `Data=${m.data}`, '--output', `Out=${m.out}`, '--run-dir', m.runDir, '--no-progress', '--backend', proxy.url, ...extra];
  }

  it('a bounded outage: the run waits it out, a worker lets go and serves again, and the rows are exact', async () => {
    const m = recordingModule({ files: names(10), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
    const env = clusterEnv(uniquePrefix('outage'), {
      CALLS_FILE: m.calls,
      SLEEP_MS: '150',
      MINIBATCH_REDIS_ANSWER_MS: '1500',
      MINIBATCH_REDIS_SILENCE_MS: '60000',
    });
    const at = escape(`Redis at ${proxy.url}/0`);
    const worker = startCli(['worker', proxy.url, '--processes', '1'], { env });
    await worker.waitFor(/waiting for runs/);
    const orchestrator = startCli(runArgs(m, ['--processes', '0']), { env });
    await until(() => readCalls(m.calls).length >= 3, 'a few mini-batches');
    proxy.freeze();

    await orchestrator.waitFor(
      new RegExp(`warning: ${at} stopped answering \\(no reply to PING in 1\\.5 s\\); the run waits up to 60 s for it, then stops`),
    );
    await worker.waitFor(new RegExp(`${at} stopped answering \\(no reply to PING in 1\\.5 s\\); this worker lets go of it`));
    await worker.waitFor(new RegExp(`${at} did not answer in 1\\.5 s; trying again in 2 s`));
    proxy.thaw();

    const run = await orchestrator.exited;
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`${at} answers again after [\\d.]+ s; the run goes on`));
    expect(rows(m.out)).toEqual(names(10));
    expect(jobResult(m.runDir)).toMatchObject({ status: 'succeeded', miniBatches: { succeeded: 10 } });
    // The worker connected again and served the run to its end.
    expect(worker.stdout().match(/connected to/g)).toHaveLength(2);
    await worker.waitFor(/run \S+ finished/);
    worker.child.kill('SIGTERM');
    const w = await worker.exited;
    expect(w.exitCode).toBe(0);
    expect(w.stderr + run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an outage past the limit: the run stops with exit 3, nothing lost, and resume finishes it exactly', async () => {
    const m = recordingModule({ files: names(8), settings: { outputAction: 'append_row', miniBatchSize: 1 } });
    const env = clusterEnv(uniquePrefix('silent-stop'), {
      CALLS_FILE: m.calls,
      SLEEP_MS: '150',
      MINIBATCH_REDIS_ANSWER_MS: '1500',
      MINIBATCH_REDIS_SILENCE_MS: '3000',
    });
    const orchestrator = startCli(runArgs(m, ['--processes', '1']), { env });
    await until(() => readCalls(m.calls).length >= 3, 'a few mini-batches');
    proxy.freeze();

    const run = await orchestrator.exited;
    expect(run.signal).toBeNull();
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain(`warning: Redis at ${proxy.url}/0 stopped answering (no reply to PING in 1.5 s); the run waits up to 3 s`);
    expect(run.stdout).toMatch(
      new RegExp(`${escape(`Redis at ${proxy.url}/0`)} stopped answering for \\d+ s \\(no reply to PING\\): a paused or overloaded server`),
    );
    expect(run.stdout).toContain('Nothing committed is lost');
    expect(run.stdout).toContain(`continue with \`minibatch resume ${m.runDir}\``);
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
    const stopped = jobResult(m.runDir);
    expect(stopped).toMatchObject({ status: 'failed', miniBatches: { failed: 0 } });
    expect(stopped.miniBatches.succeeded).toBeLessThan(8);

    // Redis answers again (here, directly): the run goes on from where its ledger stands.
    const resumed = await runCli(['resume', m.runDir, '--backend', server.url], { env });
    expect(resumed.exitCode).toBe(0);
    expect(rows(m.out)).toEqual(names(8));
    expect(jobResult(m.runDir)).toMatchObject({ status: 'succeeded', miniBatches: { succeeded: 8 } });
  });
});
