/** The local executor: a pool of Python workers on this machine (the embedded default backend). */
import type { RunPaths } from '../core/run-paths.js';
import type { ResolvedJob } from '../spec/types.js';
import { LocalPool } from '../workers/pool.js';
import type { Executor } from '../core/tries.js';
import { workerInit } from '../workers/worker-init.js';

export function createLocalExecutor(job: ResolvedJob, paths: RunPaths, runId: string, python: string): Executor {
  return new LocalPool({
    python,
    processCount: job.settings.processCountPerNode,
    init: workerInit(job, paths),
    env: job.settings.environmentVariables,
    runInvocationTimeoutMs: job.settings.runInvocationTimeoutMs,
    initTimeoutMs: job.settings.initTimeoutMs,
    paths,
    runId,
  });
}
