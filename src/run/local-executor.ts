/** The local executor: a pool of Python workers on this machine (the embedded default backend). */
import type { RunPaths } from '../core/run-paths.js';
import type { ResolvedJob } from '../spec/types.js';
import { LocalPool } from '../workers/pool.js';
import type { Executor } from '../core/tries.js';
import { assignGpus } from '../workers/gpus.js';
import { scriptEnvironment } from '../workers/script-env.js';
import { workerInit } from '../workers/worker-init.js';

/** `processes`: the workers to start (processCountPerNode, fewer when fewer mini-batches are to run). */
export function createLocalExecutor(job: ResolvedJob, paths: RunPaths, runId: string, python: string, processes: number): Executor {
  return new LocalPool({
    python,
    processCount: processes,
    init: workerInit(job, paths),
    env: scriptEnvironment(job, paths.root, assignGpus(job.settings.gpus, processes)),
    runInvocationTimeoutMs: job.settings.runInvocationTimeoutMs,
    initTimeoutMs: job.settings.initTimeoutMs,
    paths,
    runId,
  });
}
