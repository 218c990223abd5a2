/**
 * A job's dataset: the bound `inputData` ports, planned into mini-batches. Shared by `explain`,
 * `run` and `resume`, so that all three plan exactly the same way.
 */
import { UsageError } from '../core/errors.js';
import type { ResolvedJob } from '../spec/types.js';
import { planBatches, planFiles } from './plan.js';
import type { PlannedMiniBatch } from './types.js';

/** The `inputData` ports that are bound, in declared order (an unbound optional one is skipped). */
export function datasetInputs(job: ResolvedJob): { name: string; path: string }[] {
  return job.module.inputData.flatMap((name) => {
    const path = job.inputs[name];
    return path === undefined ? [] : [{ name, path }];
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

export function planJob(job: ResolvedJob): AsyncGenerator<PlannedMiniBatch> {
  return planFiles(datasetInputs(job), filesPerMiniBatch(job), job.limit);
}

/** `planJob` in groups, as a run streams it into its ledger (`Scheduler`). */
export function planJobBatches(job: ResolvedJob): AsyncGenerator<PlannedMiniBatch[]> {
  return planBatches(datasetInputs(job), filesPerMiniBatch(job), job.limit);
}
