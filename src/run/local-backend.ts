/** The embedded default backend: a pool of Python workers on this machine (DESIGN §1). */
import type { RunPaths } from '../report/layout.js';
import type { ResolvedJob } from '../spec/types.js';
import { LocalPool } from '../workers/pool.js';
import type { Backend } from './backend.js';
import { assignGpus } from '../workers/gpus.js';
import { scriptEnvironment } from './script-env.js';
import { workerInit } from './worker-init.js';

export function createLocalBackend(job: ResolvedJob, paths: RunPaths, runId: string, python: string): Backend {
  return new LocalPool({
    python,
    processCount: job.settings.processCountPerNode,
    init: workerInit(job, paths),
    env: scriptEnvironment(job, paths.root, assignGpus(job.settings.gpus, job.settings.processCountPerNode)),
    runInvocationTimeoutMs: job.settings.runInvocationTimeoutMs,
    initTimeoutMs: job.settings.initTimeoutMs,
    paths,
    runId,
  });
}
