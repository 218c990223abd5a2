/**
 * The job and mini-batch of an existing run, for `minibatch debug <run-dir> --mini-batch N`: the
 * job exactly as `run.json` saved it (module, bindings, settings, environment, interpreter,
 * arguments) and the mini-batch exactly as the ledger planned it (its files, or its table's rows),
 * read without writing a thing into the run directory. Only the outputs move: the session writes
 * into its own folder, never into the run's outputs.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { RunDirConflictError, UsageError } from '../core/errors.js';
import { runPaths, type RunPaths } from '../core/run-paths.js';
import { resolveDataset, tableReads } from '../data/dataset.js';
import { Ledger } from '../ledger/sqlite.js';
import type { MiniBatchDetail } from '../ledger/types.js';
import { snakeCase } from '../spec/names.js';
import { renderEntryArgs, shellQuote } from '../spec/render.js';
import type { ResolvedJob } from '../spec/types.js';
import type { DebugMiniBatch } from '../workers/debug.js';
import { isFileOutput } from '../workers/worker-init.js';
import { readRunJson } from './rundir.js';
import { tableTask } from './table-task.js';

/** Which mini-batch: by its index, or the one holding a file. */
export type MiniBatchChoice = { readonly kind: 'index'; readonly index: number } | { readonly kind: 'item'; readonly path: string };

export interface Reproduction {
  readonly runId: string;
  /** The run's job, its outputs moved under the session's folder. */
  readonly job: ResolvedJob;
  readonly miniBatch: MiniBatchDetail;
  readonly task: DebugMiniBatch;
}

/** Whether `path` is a folder: `debug` reads a folder as a run directory, a file as a spec or job file. */
export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Reads the run in `runDir` and the chosen mini-batch of its plan; `session` is where the session writes. */
export async function reproduction(runDir: string, choice: MiniBatchChoice, session: RunPaths): Promise<Reproduction> {
  const paths = runPaths(resolve(runDir));
  if (!existsSync(paths.runJson)) {
    throw new RunDirConflictError(
      `${paths.root} is not a minibatch run directory (it has no run.json): \`minibatch debug\` takes a run directory ` +
        `(\`minibatch runs\` lists them), a module spec or a job file`,
    );
  }
  const runJson = readRunJson(paths);
  if (!existsSync(paths.stateDb)) {
    throw new RunDirConflictError(`${paths.root} has no plan yet (no state.db): its run stopped before planning a mini-batch; there is nothing to reproduce`);
  }
  const job = withOutputsIn(runJson.job, session.outputsDir);
  // The MLTables as they are now, as `resume` reads them: how a table input is read, and each mini-batch's context.
  const dataset = await resolveDataset(runJson.job, paths.root);
  const ledger = Ledger.open(paths.root, { readonly: true });
  try {
    const miniBatch = choice.kind === 'index' ? byIndex(ledger, choice.index, paths.root) : byItem(ledger, choice.path, paths.root);
    return {
      runId: runJson.runId,
      job,
      miniBatch,
      task: {
        items: miniBatch.items.map((i) => i.path),
        context: dataset.context(miniBatch.index, miniBatch.input, miniBatch.items),
        table: tableTask(miniBatch, tableReads(dataset)),
      },
    };
  } finally {
    ledger.close();
  }
}

function byIndex(ledger: Ledger, index: number, root: string): MiniBatchDetail {
  const found = ledger.record(index);
  if (found !== undefined) return found;
  const range = ledger.indexRange();
  if (range === null) throw new UsageError(`--mini-batch ${index}: ${root} has planned no mini-batch yet`);
  const gaps = range.count < range.last - range.first + 1 ? `; resume dropped ${range.last - range.first + 1 - range.count} of them` : '';
  throw new UsageError(
    `--mini-batch ${index} does not exist: the run in ${root} has ${range.count} mini-batches (${range.first} to ${range.last}${gaps})`,
  );
}

function byItem(ledger: Ledger, path: string, root: string): MiniBatchDetail {
  const found = ledger.holding(path);
  const [first] = found;
  if (first === undefined) {
    throw new UsageError(`--item ${shellQuote(path)}: no mini-batch of the run in ${root} holds ${resolve(path)} (give the path the run listed)`);
  }
  if (found.length > 1) {
    const indexes = found.map((mb) => mb.index);
    throw new UsageError(
      `--item ${shellQuote(path)} is a table that ${found.length} mini-batches share (${indexes.slice(0, 10).join(', ')}${indexes.length > 10 ? ', …' : ''}): ` +
        `choose one with --mini-batch N`,
    );
  }
  return first;
}

/**
 * The job with every output moved into `outputsDir` (`<name in snake_case>`, a `uri_file` output
 * keeping its file name), and the entry's arguments rendered again with those paths.
 */
function withOutputsIn(job: ResolvedJob, outputsDir: string): ResolvedJob {
  const outputs = Object.fromEntries(
    Object.entries(job.outputs).map(([name, path]) => {
      const folder = join(outputsDir, snakeCase(name));
      return [name, isFileOutput(job, name) ? join(folder, basename(path)) : folder] as const;
    }),
  );
  return { ...job, outputs, entryArgs: renderEntryArgs(job.module, { inputs: job.inputs, parameters: job.parameters, outputs }) };
}

