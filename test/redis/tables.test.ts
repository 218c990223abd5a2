/**
 * A table through Redis: an orchestrator that runs no Python (`--processes 0`) plans a CSV folder
 * into byte ranges, and `minibatch worker` processes started elsewhere read their own ranges with
 * pandas. The rows are the ones a local run gives: every row once, in order; a machine that cannot
 * import pandas leaves the run to the others.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { JobResult } from '../../src/report/result.js';
import { makeModule } from '../helpers/module.js';
import { describeWithRedis, redisPerSuite, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { clusterEnv, redisRunArgs, startCli } from './helpers.js';
import { debianPythonHas } from '../helpers/python.js';

const PANDAS_PYTHON = '/usr/bin/python3';

const pandas = debianPythonHas(['pandas'], 'python3-pandas');

describeWithRedis('tables through Redis', () => {
  let server: RedisServer;
  redisPerSuite((s) => {
    server = s;
  });

  it.skipIf(!pandas)('workers elsewhere read their own byte ranges of a CSV folder: every row once and in order; a machine without pandas stays out', async () => {
    const m = makeModule({ entry: 'table_echo', files: [] });
    const a = Array.from({ length: 60 }, (_, i) => `${i},"line ${i}\nnext",${(i / 2).toFixed(1)}`); // a float column, written as pandas writes it
    const b = Array.from({ length: 40 }, (_, i) => `${100 + i},plain ${i},${i}`);
    writeFileSync(join(m.data, 'a.csv'), `id,text,score\n${a.join('\n')}\n`);
    writeFileSync(join(m.data, 'b.csv'), `id,text,score\n${b.join('\n')}`);
    const table = ['--input-format', 'Data=csv', '--mini-batch-size', '200', '--output-action', 'append_row', '--append-row-format', 'csv', '--python', PANDAS_PYTHON];
    const env = clusterEnv(uniquePrefix('tables'));
    const machine = mkdtempSync(join(tmpdir(), 'mb-machine-'));
    // A third machine whose interpreter cannot import pandas (one that fails to import, first on its path).
    const broken = join(machine, 'broken');
    mkdirSync(join(broken, 'pandas'), { recursive: true });
    writeFileSync(join(broken, 'pandas', '__init__.py'), "raise ModuleNotFoundError(\"No module named 'pandas'\")\n");
    const extras: Record<string, string>[] = [{}, {}, { PYTHONPATH: broken }];
    const workers = extras.map((extra) => startCli(['worker', server.bareUrl, '--processes', '1'], { cwd: machine, env: { ...env, ...extra } }));
    for (const worker of workers) await worker.waitFor(/waiting for runs/);
    // Three machines expected: the one without pandas, which says so first, does not end the run alone.
    const orchestrator = startCli(redisRunArgs(m, server, ['--processes', '0', '--nodes', '3', ...table]), { env });
    const run = await orchestrator.exited;
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    expect(run.exitCode, `${run.stdout}\n${run.stderr}\n${workers.map((w) => w.stdout() + w.stderr()).join('\n')}`).toBe(0);
    // What a local run writes (test/cli/tabular.test.ts): each row as read, the header once, in file order.
    expect(readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8')).toBe(`id,text,score\n${[...a, ...b].join('\n')}\n`);
    const result = JSON.parse(readFileSync(join(m.runDir, 'logs', 'job_result.json'), 'utf8')) as JobResult;
    // Every mini-batch ran once, on the machines that have pandas: no try failed on the third.
    expect(result).toMatchObject({ status: 'succeeded', rows: 100, tries: result.miniBatches.total });
    expect(workers[2]?.stderr()).toContain(`cannot serve run ${result.runId}: tabular data needs pandas, but \`import pandas\` fails with ${PANDAS_PYTHON}`);
  });
});
