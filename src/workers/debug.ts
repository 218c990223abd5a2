/**
 * `minibatch debug` : `init()` and one `run()` in a single Python process attached to the
 * terminal, so `breakpoint()` and pdb work; the host prints what `run()` returned and how it would
 * be counted (python/minibatch_host.py, `--debug`).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HOST_SCRIPT } from './host-script.js';
import type { InitRequest, RunRequest } from './protocol.js';

export interface DebugOptions {
  /** The resolved interpreter. */
  readonly python: string;
  /** The complete `init` message (its `entryLogFile` must be writable). */
  readonly init: InitRequest;
  /** The mini-batch to run; its `id` is not used. */
  readonly run: RunRequest;
  /** The complete environment of the process (the pool's variables, with a worker id such as `debug`). */
  readonly env: NodeJS.ProcessEnv;
  /** @default the package's `python/minibatch_host.py` */
  readonly hostScript?: string;
}

/**
 * Runs the debug session in the foreground and resolves with its exit status: 0 when every item
 * would succeed, 1 otherwise (init failed, run() raised, a bad or short return).
 */
export async function runDebug(options: DebugOptions): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'minibatch-debug-'));
  const request = join(dir, 'request.json');
  await writeFile(request, JSON.stringify({ init: options.init, run: options.run }));
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
