/** The embedded default backend: a pool of Python workers on this machine (DESIGN §1). */
import type { RunPaths } from '../core/run-paths.js';
import type { ResolvedJob } from '../spec/types.js';
import { LocalPool } from '../workers/pool.js';
import type { Backend } from '../core/tries.js';
import { workerInit } from '../workers/worker-init.js';

export function createLocalBackend(job: ResolvedJob, paths: RunPaths, runId: string, python: string): Backend {
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
