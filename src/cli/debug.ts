/**
 * `minibatch debug <spec|job> [bindings] [--mini-batch I]`: the loop ParallelRunStep users missed
 * most. Runs `init()` and one mini-batch's `run()` in a single Python process attached to
 * the terminal, so `breakpoint()` and pdb work, then shows what `run()` returned and how it would
 * count. Outputs and logs go to a scratch run directory under `.minibatch/debug/`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { planDataset, resolveDataset, tableReads } from '../data/dataset.js';
import { tableTask } from '../run/table-task.js';
import type { PlannedMiniBatch } from '../data/types.js';
import { UsageError } from '../core/errors.js';
import { runPaths } from '../core/run-paths.js';
import { newRunId } from '../run/runId.js';
import { outputFolders, workerInit } from '../workers/worker-init.js';
import { scriptEnvironment } from '../workers/script-env.js';
import { entryEnvironment } from '../spec/render.js';
import { assignGpus } from '../workers/gpus.js';
import { runDebug } from '../workers/debug.js';
import { resolveInterpreter } from '../workers/interpreter.js';
import { userEnvironment } from '../workers/user-env.js';
import { addJobOptions, resolveJobFromCli, type JobOptions } from './options.js';
import { printDiagnostics } from './validate.js';

const WORKER = 'debug';

export function register(program: Command): void {
  const command = program
    .command('debug')
    .description("run init() and one mini-batch's run() in one Python process attached to this terminal (pdb works)")
    .argument('<spec|job>', 'a module spec, or a job file (module: ./module.yaml)');
  addJobOptions(command)
    .option('--mini-batch <index>', 'which mini-batch to run, counting from 0', '0')
    .action(async (target: string, opts: JobOptions & { miniBatch: string }) => {
      process.exitCode = await debugCommand(target, opts);
    });
}

async function debugCommand(target: string, opts: JobOptions & { miniBatch: string }): Promise<number> {
  const index = Number(opts.miniBatch);
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new UsageError(`--mini-batch must be a mini-batch index, 0 or more; found \`${opts.miniBatch}\``);
  }
  const runId = newRunId();
  const paths = runPaths(join(process.cwd(), '.minibatch', 'debug', runId));
  const { job, diagnostics } = await resolveJobFromCli(target, opts, paths.root);
  printDiagnostics(diagnostics);
  const interpreter = await resolveInterpreter(job.settings.python);
  const dataset = await resolveDataset(job);
  const miniBatch = await findMiniBatch(planDataset(dataset), index);
  for (const dir of [paths.entryLogDir, ...outputFolders(job)]) mkdirSync(dir, { recursive: true });

  process.stderr.write(
    `minibatch debug: mini-batch ${index} (${miniBatch.items.length} items of ${miniBatch.input}); ` +
      `logs and unbound outputs in ${paths.root}\n`,
  );
  return runDebug({
    python: interpreter.executable,
    init: { type: 'init', ...workerInit(job, paths), entryLogFile: paths.entryLog(WORKER), agentName: WORKER, stateFile: null },
    run: {
      type: 'run',
      id: String(index),
      attempt: 1,
      items: miniBatch.items.map((i) => i.path),
      context: dataset.context(index, miniBatch.input, miniBatch.items),
      table: tableTask(miniBatch, tableReads(dataset)),
    },
    env: {
      ...userEnvironment(),
      MINIBATCH_NODE: process.execPath,
      ...entryEnvironment(job, { runId, workerId: WORKER, slot: 0 }),
      ...scriptEnvironment(job, paths.root, assignGpus(job.settings.gpus, 1)),
    },
  });
}

async function findMiniBatch(plan: AsyncGenerator<PlannedMiniBatch>, index: number): Promise<PlannedMiniBatch> {
  let count = 0;
  for await (const miniBatch of plan) {
    if (miniBatch.index === index) {
      await plan.return(undefined);
      return miniBatch;
    }
    count++;
  }
  throw new UsageError(
    count === 0
      ? 'the dataset is empty: there is no mini-batch to debug'
      : `--mini-batch ${index} does not exist: the plan has ${count} mini-batches (0 to ${count - 1})`,
  );
}
