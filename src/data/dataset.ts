/**
 * A job's dataset: the bound `inputData` ports, planned into mini-batches. Shared by `explain`,
 * `run` and `resume`, so that all three plan exactly the same way.
 */
import { UsageError } from '../core/errors.js';
import type { ResolvedJob } from '../spec/types.js';
import { sep } from 'node:path';
import { planBatches, planFiles, type PlanInput } from './plan.js';
import type { PlannedMiniBatch } from './types.js';

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

export function planJob(job: ResolvedJob, runDir: string | null): AsyncGenerator<PlannedMiniBatch> {
  return planFiles(datasetInputs(job, runDir), filesPerMiniBatch(job), job.limit);
}

/** `planJob` in groups, as a run streams it into its ledger (`Scheduler`). */
export function planJobBatches(job: ResolvedJob, runDir: string | null): AsyncGenerator<PlannedMiniBatch[]> {
  return planBatches(datasetInputs(job, runDir), filesPerMiniBatch(job), job.limit);
}
