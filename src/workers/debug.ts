/**
 * `minibatch debug` : `init()` and one `run()` in a single Python process attached to the
 * terminal, so `breakpoint()` and pdb work; the host prints what `run()` returned and how it would
 * be counted (python/minibatch_host.py, `--debug`).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { RunPaths } from '../core/run-paths.js';
import { entryEnvironment } from '../spec/render.js';
import type { ResolvedJob } from '../spec/types.js';
import { assignGpus } from './gpus.js';
import { HOST_SCRIPT } from './host-script.js';
import type { InitRequest, RunRequest } from './protocol.js';
import { scriptEnvironment } from './script-env.js';
import { userEnvironment } from './user-env.js';
import { workerInit } from './worker-init.js';

/** The worker id a debug session's entry script sees (`MINIBATCH_WORKER_ID`) and its log files' name. */
export const DEBUG_WORKER = 'debug';

export interface DebugOptions {
  /** The resolved interpreter. */
  readonly python: string;
  /** The complete `init` message (its `entryLogFile` must be writable). */
  readonly init: InitRequest;
  /** The mini-batch to run; its `id` is not used. */
  readonly run: RunRequest;
  /** The complete environment of the process (the pool's variables, with a worker id such as `debug`). */
  readonly env: NodeJS.ProcessEnv;
  /**
   * When `init()` or `run()` raises, start `pdb` post mortem in the frame that raised.
   * @default false
   */
  readonly pdb?: boolean;
  /** @default the package's `python/minibatch_host.py` */
  readonly hostScript?: string;
}

/** The mini-batch a session runs: what a `run` message carries besides its id and attempt. */
export type DebugMiniBatch = Omit<RunRequest, 'type' | 'id' | 'attempt'>;

/**
 * The session of `job` on one mini-batch, as one worker of a pool would run it (its init message
 * and environment, slot 0), with its logs and the run-directory variables pointing at `paths`.
 */
export function debugSession(job: ResolvedJob, paths: RunPaths, runId: string, python: string, miniBatch: DebugMiniBatch): DebugOptions {
  return {
    python,
    init: { type: 'init', ...workerInit(job, paths), entryLogFile: paths.entryLog(DEBUG_WORKER), agentName: DEBUG_WORKER, stateFile: null },
    run: { type: 'run', id: String(miniBatch.context.minibatch_index), attempt: 1, ...miniBatch },
    env: {
      ...userEnvironment(),
      MINIBATCH_NODE: process.execPath,
      ...entryEnvironment(job, { runId, workerId: DEBUG_WORKER, slot: 0 }),
      ...scriptEnvironment(job, paths.root, assignGpus(job.settings.gpus, 1)),
    },
  };
}

/**
 * Runs the debug session in the foreground and resolves with its exit status: 0 when every item
 * would succeed, 1 otherwise (init failed, run() raised, a bad or short return).
 */
export async function runDebug(options: DebugOptions): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'minibatch-debug-'));
  const request = join(dir, 'request.json');
  await writeFile(request, JSON.stringify({ init: options.init, run: options.run, pdb: options.pdb ?? false }));
  // Ctrl-C belongs to pdb (or to the script) while it runs; the terminal sends it to us too.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(options.python, [options.hostScript ?? HOST_SCRIPT, '--debug', request], {
        stdio: 'inherit',
        env: options.env,
      });
      child.on('error', reject);
      child.on('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    process.off('SIGINT', ignore);
    await rm(dir, { recursive: true, force: true });
  }
}
