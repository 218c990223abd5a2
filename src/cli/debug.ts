/**
 * `minibatch debug <spec|job|run-dir> [--mini-batch N | --item PATH] [--pdb]`: the loop
 * ParallelRunStep users missed most. Runs `init()` and one mini-batch's `run()` in a single Python
 * process attached to the terminal, so `breakpoint()` and pdb work, then shows what `run()`
 * returned and how it would count. Given a run directory, it reproduces one mini-batch of that run
 * with the run's own job (run/reproduce.ts). Outputs and logs go to a scratch folder under
 * `.minibatch/debug/`, never into a run directory.
 */
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { planDataset, resolveDataset, tableReads } from '../data/dataset.js';
import { tableTask } from '../run/table-task.js';
import type { PlannedMiniBatch } from '../data/types.js';
import { UsageError } from '../core/errors.js';
import { runPaths, type RunPaths } from '../core/run-paths.js';
import { isDirectory, reproduction, type MiniBatchChoice } from '../run/reproduce.js';
import { newRunId } from '../run/runId.js';
import { shellQuote } from '../spec/render.js';
import type { ResolvedJob, SettingName } from '../spec/types.js';
import { outputFolders } from '../workers/worker-init.js';
import { debugSession, runDebug, type DebugMiniBatch } from '../workers/debug.js';
import { resolveInterpreter } from '../workers/interpreter.js';
import { formatInterpreter } from '../report/run-header.js';
import { addJobOptions, resolveJobFromCli, SETTING_FLAGS, type JobOptions } from './options.js';
import { printDiagnostics } from './validate.js';

interface DebugFlags extends JobOptions {
  readonly miniBatch?: string;
  readonly item?: string;
  readonly pdb?: boolean;
}

/** Settings of a run of many tries on many processes, which one try in one process has no use for. */
const NOT_IN_DEBUG: ReadonlySet<SettingName> = new Set([
  'processCountPerNode',
  'nodeCount',
  'runMaxTry',
  'errorThreshold',
  'allowedFailedCount',
  'allowedFailedPercent',
]);

export function register(program: Command): void {
  const command = program
    .command('debug')
    .description(
      "run init() and one mini-batch's run() in one Python process attached to this terminal (pdb works); " +
        "given a run directory, reproduce one of that run's mini-batches with the run's own job",
    )
    .argument('<spec|job|run-dir>', 'a module spec, a job file (module: ./module.yaml), or a run directory');
  addJobOptions(command, (setting) => !NOT_IN_DEBUG.has(setting))
    .option('--mini-batch <index>', 'which mini-batch to run, counting from 0 (default: 0)')
    .option('--item <path>', 'run the mini-batch that holds this file')
    .option('--pdb', 'when init() or run() raises, start pdb post mortem where it raised')
    .action(async (target: string, opts: DebugFlags) => {
      process.exitCode = await debugCommand(target, opts);
    });
}

async function debugCommand(target: string, opts: DebugFlags): Promise<number> {
  const choice = miniBatchChoice(opts);
  const scratch = runPaths(join(process.cwd(), '.minibatch', 'debug', newRunId()));
  const session = isDirectory(target) ? await fromRunDir(target, opts, choice, scratch) : await fromJob(target, opts, choice, scratch);
  for (const dir of [scratch.entryLogDir, ...outputFolders(session.job)]) mkdirSync(dir, { recursive: true });
  const interpreter = await resolveInterpreter(session.job.settings.python);
  process.stderr.write(formatInterpreter(interpreter));
  process.stderr.write(`minibatch debug: ${session.what}; logs and outputs in ${scratch.root}\n`);
  return runDebug({
    ...debugSession(session.job, scratch, session.runId, interpreter.executable, session.task),
    pdb: opts.pdb === true,
  });
}

interface Session {
  readonly job: ResolvedJob;
  readonly runId: string;
  readonly task: DebugMiniBatch;
  /** Which mini-batch, for the line printed before it runs. */
  readonly what: string;
}

function miniBatchChoice(opts: DebugFlags): MiniBatchChoice {
  if (opts.item !== undefined) {
    if (opts.miniBatch !== undefined) throw new UsageError('give --mini-batch N or --item PATH, not both');
    return { kind: 'item', path: resolve(opts.item) };
  }
  const index = Number(opts.miniBatch ?? '0');
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new UsageError(`--mini-batch must be a mini-batch index, 0 or more; found \`${opts.miniBatch ?? ''}\``);
  }
  return { kind: 'index', index };
}

/** One mini-batch of the run in `runDir`, with the job it ran (flags that would change it are refused). */
async function fromRunDir(runDir: string, opts: DebugFlags, choice: MiniBatchChoice, scratch: RunPaths): Promise<Session> {
  const given = jobFlagsGiven(opts);
  if (given.length > 0) {
    throw new UsageError(
      `${given.join(', ')}: a run directory's job is the one it ran (its run.json), so debug takes no binding or setting flags with it; ` +
        `to try others, debug the module or job file instead: minibatch debug <spec|job> ${given[0] ?? ''} …`,
    );
  }
  const r = await reproduction(runDir, choice, scratch);
  const mb = r.miniBatch;
  const items = mb.slice === null ? `${mb.items.length} items of ${mb.input}: ${itemNames(mb.items.map((i) => i.path))}` : `${mb.slice.rows} rows of ${mb.items[0]?.path ?? mb.input}`;
  const state = mb.tries === 0 ? 'not run yet' : `${mb.status} after ${mb.tries} ${mb.tries === 1 ? 'try' : 'tries'}`;
  return { job: r.job, runId: r.runId, task: r.task, what: `mini-batch ${mb.index} of run ${r.runId} (${items}, ${state})` };
}

/** One mini-batch of a job resolved from a spec or job file and flags, planned afresh. */
async function fromJob(target: string, opts: DebugFlags, choice: MiniBatchChoice, scratch: RunPaths): Promise<Session> {
  const { job, diagnostics } = await resolveJobFromCli(target, opts, scratch.root);
  printDiagnostics(diagnostics);
  const dataset = await resolveDataset(job);
  const miniBatch = await findMiniBatch(planDataset(dataset), choice);
  return {
    job,
    runId: basename(scratch.root),
    task: {
      items: miniBatch.items.map((i) => i.path),
      context: dataset.context(miniBatch.index, miniBatch.input, miniBatch.items),
      table: tableTask(miniBatch, tableReads(dataset)),
    },
    what: `mini-batch ${miniBatch.index} (${miniBatch.items.length} items of ${miniBatch.input})`,
  };
}

async function findMiniBatch(plan: AsyncGenerator<PlannedMiniBatch>, choice: MiniBatchChoice): Promise<PlannedMiniBatch> {
  let count = 0;
  const holding: PlannedMiniBatch[] = [];
  for await (const miniBatch of plan) {
    if (choice.kind === 'index' && miniBatch.index === choice.index) {
      await plan.return(undefined);
      return miniBatch;
    }
    if (choice.kind === 'item' && miniBatch.items.some((i) => i.path === choice.path)) holding.push(miniBatch);
    count++;
  }
  if (choice.kind === 'item') {
    const [first] = holding;
    if (first !== undefined && holding.length === 1) return first;
    throw new UsageError(
      first === undefined
        ? `--item ${shellQuote(choice.path)}: no mini-batch of the plan holds it (${count} mini-batches)`
        : `--item ${shellQuote(choice.path)} is a table that ${holding.length} mini-batches share (${holding[0]?.index ?? ''} to ${holding.at(-1)?.index ?? ''}): choose one with --mini-batch N`,
    );
  }
  throw new UsageError(
    count === 0
      ? 'the dataset is empty: there is no mini-batch to debug'
      : `--mini-batch ${choice.index} does not exist: the plan has ${count} mini-batches (0 to ${count - 1})`,
  );
}

/** The binding and setting flags given, as typed (`--input`, `--processes`, …). */
function jobFlagsGiven(opts: DebugFlags): string[] {
  const lists: [string, readonly string[] | undefined][] = [
    ['--input', opts.input],
    ['--param', opts.param],
    ['--output', opts.output],
    ['--input-format', opts.inputFormat],
    ['--env', opts.env],
  ];
  const given = lists.filter(([, values]) => (values?.length ?? 0) > 0).map(([flag]) => flag);
  for (const flag of SETTING_FLAGS) if (opts[flag.option] !== undefined) given.push(flag.flags.split(' ')[0] ?? '');
  if (opts.limit !== undefined) given.push('--limit');
  if (opts.node !== undefined) given.push('--node');
  return given;
}

/** The first few file names of a mini-batch. */
function itemNames(paths: readonly string[]): string {
  const shown = paths.slice(0, 3).map((p) => basename(p));
  return paths.length > shown.length ? `${shown.join(', ')}, …` : shown.join(', ');
}
