/**
 * A job's dataset: the bound `inputData` ports, resolved (an MLTable read and its files listed) and
 * then planned into mini-batches. Shared by `explain`, `run`, `resume` and `debug`, so that all of
 * them plan exactly the same way. Resolving comes first and on its own, so that a bad MLTable or a
 * bad partition key stops a run before it has a run directory or a worker. An input is a table
 * (table-plan.ts, parquet-plan.ts) when its MLTable has a read transformation or it has a declared
 * format (`inputFormat`); any other is a file dataset (plan.ts).
 */
import { SpecError, UsageError } from '../core/errors.js';
import { Diagnostics, type YamlPath } from '../spec/diagnostics.js';
import type { ResolvedJob } from '../spec/types.js';
import { partitionPlan, type MakeContext } from './partition.js';
import { planBatches, type Cutting, type PlanInput } from './plan.js';
import type { TableRead } from './table-format.js';
import { planParquet } from './parquet-plan.js';
import { planTable, type TableBatchSize } from './table-plan.js';
import { sep } from 'node:path';
import type { PlannedMiniBatch } from './types.js';
import { findMLTable } from './mltable/find.js';
import type { LoadedMLTable } from './mltable/load.js';

/** One bound `inputData` port. */
export interface DatasetInput extends PlanInput {
  /** The MLTable the bound path stands for; null: plain data (every file under the path). */
  readonly mltable: LoadedMLTable | null;
  /** How the input is read as a table; null for a file dataset. */
  readonly table: TableRead | null;
}

export interface Dataset {
  readonly inputs: readonly DatasetInput[];
  /** How a file input's files become mini-batches (unused when every input is a table). */
  readonly cutting: Cutting;
  /** A table input's mini-batch size. */
  readonly tableSize: TableBatchSize;
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

/** Whether any input of the dataset is a table (then the workers need pandas). */
export function hasTables(dataset: Dataset): boolean {
  return dataset.inputs.some((input) => input.table !== null);
}

/** How each table input is read, by input name: what a worker is handed with a table's mini-batch. */
export function tableReads(dataset: Dataset): Readonly<Record<string, TableRead>> {
  return Object.fromEntries(dataset.inputs.flatMap((input) => (input.table === null ? [] : [[input.name, input.table]])));
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
 * Reads each input's MLTable (if it has one) and checks what planning will need: a size that fits
 * the files, partition keys only over files, and no table read this build would ignore. Throws a
 * `SpecError` (MLTABLE_INVALID) for a bad MLTable, a `UsageError` (exit 2) for a bad setting.
 */
export async function resolveDataset(job: ResolvedJob, runDir: string | null = null): Promise<Dataset> {
  const inputs: DatasetInput[] = [];
  for (const { name, path, leftOut } of datasetInputs(job, runDir)) {
    const mltable = await readMLTable(path);
    const table = tableOf(name, mltable, job.settings.inputFormat[name] ?? null);
    inputs.push({ name, path, mltable, files: mltable?.source.files ?? null, table, ...(leftOut === undefined ? {} : { leftOut }) });
  }
  const files = inputs.filter((input) => input.table === null);
  const tables = inputs.filter((input) => input.table !== null);
  const tableSize = tableBatchSize(job);
  const keys = job.settings.partitionKeys;
  if (keys.length > 0) {
    const first = tables[0];
    if (first !== undefined) {
      throw new UsageError(
        `partition keys (--partition-keys ${keys.join(',')}) group files by their paths, and input \`${first.name}\` is a table: ` +
          `partition keys over a table's columns are not supported yet; leave out the partition keys, or read the input as files`,
      );
    }
    return { inputs, ...partitionPlan(inputs, keys), tableSize, limit: job.limit };
  }
  const first = files[0];
  const cutting: Cutting = { kind: 'count', files: first === undefined ? 1 : filesPerMiniBatch(job, first.name) };
  return { inputs, cutting, tableSize, context: plainContext, limit: job.limit };
}

/** Resolves and plans: for callers that need the plan alone (explain, debug, reconcile). */
export async function* planJob(job: ResolvedJob, runDir: string | null = null): AsyncGenerator<PlannedMiniBatch> {
  yield* planDataset(await resolveDataset(job, runDir));
}

export async function* planDataset(dataset: Dataset): AsyncGenerator<PlannedMiniBatch> {
  for await (const batch of planDatasetBatches(dataset)) yield* batch;
}

/**
 * `planDataset` in groups, as a run streams it into its ledger (`Scheduler`). Inputs one after
 * another, indexes counting from 0 across them; a mini-batch never crosses an input.
 */
export async function* planDatasetBatches(dataset: Dataset): AsyncGenerator<PlannedMiniBatch[]> {
  let next = 0;
  for (const input of dataset.inputs) {
    const limit = dataset.limit === null ? null : dataset.limit - next;
    if (limit !== null && limit <= 0) return;
    const first = next;
    const table = input.table === null ? null : { name: input.name, path: input.path, files: input.files ?? null, leftOut: input.leftOut ?? [], read: input.table };
    const batches =
      table === null
        ? planBatches([input], dataset.cutting, limit)
        : table.read.format.kind === 'parquet'
          ? planParquet(table, dataset.tableSize, first, limit)
          : planTable(table, dataset.tableSize, first, limit);
    for await (const batch of batches) {
      // File inputs count from 0: their indexes follow the inputs before them.
      const planned = input.table === null && first > 0 ? batch.map((mb) => ({ ...mb, index: mb.index + first })) : batch;
      next += planned.length;
      yield planned;
    }
  }
}

const plainContext: MakeContext = (index) => ({ minibatch_index: index, partition_key_value: null, dataset_root: null });

/**
 * How input `name` is read as a table, if it is one: by its MLTable's read transformation, or by
 * `inputFormat` (over every file under its path, or the files its MLTable lists). What this build
 * does not honour on a table is refused rather than ignored: at its MLTable line when it comes from
 * one. Throws `SpecError` (MLTABLE_INVALID) or `UsageError`, both exit 2.
 */
function tableOf(name: string, mltable: LoadedMLTable | null, format: TableRead | null): TableRead | null {
  if (mltable === null) {
    if (format !== null) checkTable(name, format);
    return format;
  }
  const { definition, source } = mltable;
  if (source.kind === 'files') {
    if (format === null) return null;
    // The MLTable's partition format would make columns of a table: not honoured, so refused.
    if (source.partitionFormat !== null) {
      refuseInMLTable(mltable, definition.partitionFormatAt ?? [], `extract_columns_from_partition_format on input \`${name}\`, which inputFormat reads as a table, ${NOT_YET}`);
    }
    checkTable(name, format);
    return format;
  }
  const read = definition.read;
  if (format !== null) {
    throw new UsageError(
      `input \`${name}\` is a table by its MLTable's \`${read?.name ?? 'read transformation'}\` (${definition.yaml.display}) and by inputFormat too: ` +
        `give its format in one place (remove \`${name}\` from --input-format / inputFormat, or the read transformation from the MLTable)`,
    );
  }
  refuseUnhonoured(name, mltable, source.read);
  return source.read;
}

const NOT_YET = 'which this build does not support on a table yet: remove it';

/**
 * Table reads this build does not honour yet (`skip`, `take`, a partition format on a table) are
 * refused rather than ignored.
 */
function checkTable(name: string, table: TableRead): void {
  const unsupported = [
    table.skipRows !== 0 ? 'skip' : null,
    table.takeRows !== null ? 'take' : null,
    table.partitionFormat !== null ? 'extract_columns_from_partition_format' : null,
  ].filter((x): x is string => x !== null);
  if (unsupported.length > 0) {
    throw new UsageError(`input \`${name}\` asks for ${unsupported.join(', ')} on a table, which this build does not support yet: remove it`);
  }
}

/**
 * An MLTable's read that planning or the worker cannot honour, refused at its line: `skip` and
 * `take` (rows of the whole table), a partition format (columns from the paths), a header taken
 * from the first file only. The worker
 * honours keep_columns, drop_columns, convert_column_types and include_path_column
 * (python/_minibatch_host/tabular.py).
 */
function refuseUnhonoured(name: string, loaded: LoadedMLTable, read: TableRead): void {
  const { definition } = loaded;
  const d = new Diagnostics(definition.yaml);
  const stepAt = (step: string): YamlPath => {
    const i = definition.steps.findIndex((s) => s.name === step);
    return i < 0 ? [] : ['transformations', i, step];
  };
  const on = `on input \`${name}\`, a table (\`${definition.read?.name ?? 'read'}\`)`;
  if (read.skipRows !== 0) d.error(stepAt('skip'), `skip ${read.skipRows} ${on}, ${NOT_YET}, or skip those rows in run()`);
  if (read.takeRows !== null) d.error(stepAt('take'), `take ${read.takeRows} ${on}, ${NOT_YET}, or use --limit (mini-batches) to try a few`);
  if (read.partitionFormat !== null) {
    d.error(definition.partitionFormatAt ?? [], `extract_columns_from_partition_format ${on}, ${NOT_YET}`);
  }
  const format = read.format;
  // The read step's place is its list item; its options are under its name.
  const optionAt = (option: string): YamlPath => (definition.read === null ? [] : [...definition.read.at, definition.read.name, option]);
  if (format.kind === 'delimited' && format.header === 'from_first_file') {
    d.error(optionAt('header'), `header: from_first_file ${on}, which this build does not support on a table yet: use all_files_same_headers (each file's own first line is its header)`);
  }
  const problems = d.sorted();
  if (problems.length > 0) throw new SpecError('MLTABLE_INVALID', problems);
}

function refuseInMLTable(loaded: LoadedMLTable, at: YamlPath, message: string): never {
  const d = new Diagnostics(loaded.definition.yaml);
  d.error(at, message);
  throw new SpecError('MLTABLE_INVALID', d.sorted());
}

async function readMLTable(path: string): Promise<LoadedMLTable | null> {
  const file = findMLTable(path);
  if (file === null) return null;
  // The MLTable code (yaml reading, picomatch) loads only for an input that has one: a run of
  // plain folders starts without it.
  const { loadMLTable } = await import('./mltable/load.js');
  return loadMLTable(file);
}
