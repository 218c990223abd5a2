/**
 * `minibatch worker [redis-url] [--processes N] [--once] [--python P] [--prefix P]`: serve runs
 * from Redis on this machine. Forever by default; `--once` serves the runs running now
 * and exits 0. SIGTERM or Ctrl-C: the running mini-batches finish, prefetched ones go back to the
 * queue, then exit 0; a second signal stops them now (exit 130). Exit 3 when Redis cannot be used.
 */
import type { Command } from 'commander';
import { EXIT } from '../core/errors.js';
import { parsePrefix, parseProcesses } from '../redis/connection/cli-options.js';
import { resolveRedisTarget } from '../redis/connection/url.js';

interface WorkerOptions {
  readonly processes?: string;
  readonly once?: boolean;
  readonly python?: string;
  readonly prefix?: string;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('serve runs started with run --backend redis://…, on this machine, one after another')
    .argument('[redis-url]', 'redis://[:PASSWORD@]HOST:6379[/db], or rediss://… (default: MINIBATCH_REDIS_URL)')
    .option('--processes <n>', "Python worker processes per run (default: the run's processCountPerNode if set, else CPU count)")
    .option('--once', 'serve the runs running now, then exit')
    .option('--python <interpreter>', "the Python interpreter on this machine (default: the run's, else python3)")
    .option('--prefix <prefix>', 'the Redis key prefix the runs use (default: MINIBATCH_REDIS_PREFIX, else minibatch)')
    .action(async (url: string | undefined, opts: WorkerOptions) => {
      process.exitCode = await workerCommand(url, opts);
    });
}

export async function workerCommand(url: string | undefined, opts: WorkerOptions): Promise<number> {
  // bullmq and ioredis load only here, not for every other command (see run-backend.ts); the
  // rest of the worker's modules, not on every start-up of `minibatch` either (see main.ts).
  const { Agent } = await import('../redis/agent/agent.js');
  const { cacheRoot } = await import('../core/cache-root.js');
  const { redisTiming } = await import('../redis/connection/timing.js');
  const agent = new Agent({
    target: resolveRedisTarget(url ?? null),
    prefix: parsePrefix(opts.prefix),
    processes: parseProcesses(opts.processes, false),
    python: opts.python ?? null,
    once: opts.once ?? false,
    cacheDir: cacheRoot(),
    timing: redisTiming(),
    out: (line) => process.stdout.write(`${line}\n`),
    warn: (line) => process.stderr.write(`warning: ${line}\n`),
  });
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals === 1) {
      process.stderr.write('minibatch worker: stopping: running mini-batches finish (signal again to stop them now)\n');
      agent.stop('graceful');
    } else {
      agent.stop('now');
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await agent.run();
    return agent.stoppedNow ? EXIT.interrupted : EXIT.ok;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
