/**
 * A job's dataset: the bound `inputData` ports, resolved (an MLTable read and its files listed) and
 * then planned into mini-batches. Shared by `explain`, `run`, `resume` and `debug`, so that all of
 * them plan exactly the same way. Resolving comes first and on its own, so that a bad MLTable or a
 * bad partition key stops a run before it has a run directory or a worker.
 */
import { SpecError, UsageError } from '../core/errors.js';
import { Diagnostics } from '../spec/diagnostics.js';
import type { ResolvedJob } from '../spec/types.js';
import { partitionPlan, type MakeContext } from './partition.js';
import { planBatches, planFiles, type Cutting, type PlanInput } from './plan.js';
import { sep } from 'node:path';
import type { PlannedMiniBatch } from './types.js';
import { findMLTable } from './mltable/find.js';
import type { LoadedMLTable } from './mltable/load.js';

/** One bound `inputData` port. */
export interface DatasetInput extends PlanInput {
  /** The MLTable the bound path stands for; null: plain data (every file under the path). */
  readonly mltable: LoadedMLTable | null;
}

export interface Dataset {
  readonly inputs: readonly DatasetInput[];
  readonly cutting: Cutting;
  /** What `run(mini_batch, mini_batch_context)` gets besides the items, for a mini-batch of this dataset. */
  readonly context: MakeContext;
  /** Plan only the first N mini-batches (`--limit`); null = all. */
  readonly limit: number | null;
}

/**
 * The `inputData` ports that are bound, in declared order (an unbound optional one is skipped), each
 * with the folders under it that are not its data: the job's outputs and the run directory
 * (`runDir`, when known). A run that read them back would take its own results as input, and a
 * resume would find more items than the run had.
 */
export function datasetInputs(job: ResolvedJob, runDir: string | null = null): PlanInput[] {
  const ours = [...Object.values(job.outputs), ...(runDir === null ? [] : [runDir])];
  return job.module.inputData.flatMap((name) => {
    const path = job.inputs[name];
    if (path === undefined) return [];
    return [{ name, path, leftOut: ours.filter((dir) => dir !== path && dir.startsWith(path.endsWith(sep) ? path : path + sep)) }];
  });
}

/** Files per mini-batch; a size in bytes is for tabular data, which a file dataset is not. */
export function filesPerMiniBatch(job: ResolvedJob): number {
  const size = job.settings.miniBatchSize;
  if (size.unit !== 'items') {
    throw new UsageError(
      `miniBatchSize ${size.bytes} bytes is a size, which applies to tabular data; this dataset is files: ` +
        `give a number of files, e.g. --mini-batch-size 10`,
    );
  }
  return size.count;
}

/**
 * Reads each input's MLTable (if it has one) and checks what planning will need. Throws a
 * `SpecError` (MLTABLE_INVALID) for a bad MLTable, a `UsageError` for a bad setting.
 */
export async function resolveDataset(job: ResolvedJob, runDir: string | null = null): Promise<Dataset> {
  const inputs: DatasetInput[] = [];
  for (const { name, path, leftOut } of datasetInputs(job, runDir)) {
    const mltable = await readMLTable(path);
    inputs.push({ name, path, mltable, files: mltable?.source.files ?? null, ...(leftOut === undefined ? {} : { leftOut }) });
  }
  for (const input of inputs) {
    if (input.mltable?.source.kind === 'table') refuseTable(input.name, input.mltable);
  }
  const keys = job.settings.partitionKeys;
  if (keys.length > 0) return { inputs, ...partitionPlan(inputs, keys), limit: job.limit };
  return { inputs, cutting: { kind: 'count', files: filesPerMiniBatch(job) }, context: plainContext, limit: job.limit };
}

export function planDataset(dataset: Dataset): AsyncGenerator<PlannedMiniBatch> {
  return planFiles(dataset.inputs, dataset.cutting, dataset.limit);
}

/** `planDataset` in groups, as a run streams it into its ledger (`Scheduler`). */
export function planDatasetBatches(dataset: Dataset): AsyncGenerator<PlannedMiniBatch[]> {
  return planBatches(dataset.inputs, dataset.cutting, dataset.limit);
}

/** Resolves and plans: for callers that need the plan alone (explain, debug, reconcile). */
export async function* planJob(job: ResolvedJob, runDir: string | null = null): AsyncGenerator<PlannedMiniBatch> {
  yield* planDataset(await resolveDataset(job, runDir));
}

const plainContext: MakeContext = (index) => ({ minibatch_index: index, partition_key_value: null, dataset_root: null });

async function readMLTable(path: string): Promise<LoadedMLTable | null> {
  const file = findMLTable(path);
  if (file === null) return null;
  // The MLTable code (yaml reading, picomatch) loads only for an input that has one: a run of
  // plain folders starts without it.
  const { loadMLTable } = await import('./mltable/load.js');
  return loadMLTable(file);
}

/**
 * A tabular MLTable is refused until tabular datasets are planned (byte ranges of the files, read
 * by the workers): running its files as a file dataset would hand run() paths where it expects a
 * DataFrame.
 */
function refuseTable(name: string, loaded: LoadedMLTable): never {
  const { definition } = loaded;
  const d = new Diagnostics(definition.yaml);
  d.error(
    definition.read?.at ?? [],
    `\`${definition.read?.name ?? 'a read transformation'}\` makes input \`${name}\` a table, and tabular MLTable inputs need tabular dataset support ` +
      `(run() given a pandas DataFrame), which this build of minibatch does not have yet; remove the read ` +
      `transformation to run the listed files as a file dataset (run() then gets their paths)`,
  );
  throw new SpecError('MLTABLE_INVALID', d.sorted());
}
