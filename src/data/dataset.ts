/**
 * A job's dataset: the bound `inputData` ports, planned into mini-batches. Shared by `explain`,
 * `run` and `resume`, so that all three plan exactly the same way. An input with a declared format
 * (`inputFormat`) is a table (table-plan.ts); any other is a file dataset (plan.ts).
 */
import { UsageError } from '../core/errors.js';
import type { ResolvedJob } from '../spec/types.js';
import { planBatches } from './plan.js';
import type { TableRead } from './table-format.js';
import { planParquet } from './parquet-plan.js';
import { planTable, type TableBatchSize } from './table-plan.js';
import type { PlannedMiniBatch } from './types.js';

export interface DatasetInput {
  readonly name: string;
  readonly path: string;
  /** How the input is read as a table; null for a file dataset. */
  readonly table: TableRead | null;
}

/** The `inputData` ports that are bound, in declared order (an unbound optional one is skipped). */
export function datasetInputs(job: ResolvedJob): DatasetInput[] {
  return job.module.inputData.flatMap((name) => {
    const path = job.inputs[name];
    return path === undefined ? [] : [{ name, path, table: job.settings.inputFormat[name] ?? null }];
  });
}

/** Whether any input of the job is a table (then the workers need pandas). */
export function hasTables(job: ResolvedJob): boolean {
  return datasetInputs(job).some((input) => input.table !== null);
}

/** Files per mini-batch; a size in bytes or rows is for tabular data, which a file dataset is not. */
export function filesPerMiniBatch(job: ResolvedJob, input: string): number {
  const size = job.settings.miniBatchSize;
  if (size.unit !== 'items') {
    const what = size.unit === 'rows' ? `${size.rows} rows` : `${size.bytes} bytes`;
    throw new UsageError(
      `miniBatchSize ${what} is a size, which applies to tabular data; input \`${input}\` is files: ` +
        `give a number of files, e.g. --mini-batch-size 10, or read it as a table with --input-format '${input}=csv'`,
    );
  }
  return size.count;
}

/** A table's mini-batch size: `1MB` unless set; a bare number is bytes, as ParallelRunStep reads it. */
export function tableBatchSize(job: ResolvedJob): TableBatchSize {
  const size = job.settings.miniBatchSize;
  if (job.settingSources.miniBatchSize === 'default') return { unit: 'bytes', bytes: 1024 * 1024 };
  if (size.unit === 'rows') return { unit: 'rows', rows: size.rows };
  return { unit: 'bytes', bytes: size.unit === 'bytes' ? size.bytes : size.count };
}

/**
 * Refuses, before anything runs, what planning would refuse half-way (a size on files), and table
 * reads this build does not honour yet (`skip`, `take`, a partition format on a table) rather than
 * ignore them. Throws `UsageError` (exit 2).
 */
export function checkDataset(job: ResolvedJob): void {
  for (const input of datasetInputs(job)) {
    if (input.table === null) {
      filesPerMiniBatch(job, input.name);
      continue;
    }
    const unsupported = [
      input.table.skipRows !== 0 ? 'skip' : null,
      input.table.takeRows !== null ? 'take' : null,
      input.table.partitionFormat !== null ? 'extract_columns_from_partition_format' : null,
    ].filter((x): x is string => x !== null);
    if (unsupported.length > 0) {
      throw new UsageError(`input \`${input.name}\` asks for ${unsupported.join(', ')} on a table, which this build does not support yet: remove it`);
    }
  }
}

export async function* planJob(job: ResolvedJob): AsyncGenerator<PlannedMiniBatch> {
  for await (const batch of planJobBatches(job)) yield* batch;
}

/** `planJob` in groups, as a run streams it into its ledger (`Scheduler`). */
export function planJobBatches(job: ResolvedJob): AsyncGenerator<PlannedMiniBatch[]> {
  checkDataset(job);
  return planInputs(job);
}

async function* planInputs(job: ResolvedJob): AsyncGenerator<PlannedMiniBatch[]> {
  let next = 0;
  for (const input of datasetInputs(job)) {
    const limit = job.limit === null ? null : job.limit - next;
    if (limit !== null && limit <= 0) return;
    const first = next;
    const table = input.table === null ? null : { name: input.name, path: input.path, read: input.table };
    const batches =
      table === null
        ? planBatches([input], filesPerMiniBatch(job, input.name), limit)
        : table.read.format.kind === 'parquet'
          ? planParquet(table, tableBatchSize(job), first, limit)
          : planTable(table, tableBatchSize(job), first, limit);
    for await (const batch of batches) {
      // File inputs count from 0: their indexes follow the inputs before them.
      const planned = input.table === null && first > 0 ? batch.map((mb) => ({ ...mb, index: mb.index + first })) : batch;
      next += planned.length;
      yield planned;
    }
  }
}
