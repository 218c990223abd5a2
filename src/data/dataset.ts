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
import { checkTableKeys, planTableByKeys } from './table-keys.js';
import { planTable, type TableBatchSize, type TableInput } from './table-plan.js';
import { relative, sep } from 'node:path';
import { listedRoot } from './listed.js';
import { parsePartitionFormat, partitionValues } from './partition-format.js';
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
  /** Partition keys over the table inputs' columns: one mini-batch per combination (table-keys.ts); empty: by size. */
  readonly tableKeys: readonly string[];
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
 * the files, partition keys that the inputs have (path fields of files; columns or path fields of
 * tables, table-keys.ts), and no table read this build would ignore. Throws a
 * `SpecError` (MLTABLE_INVALID) for a bad MLTable, a `UsageError` (exit 2) for a bad setting.
 */
export async function resolveDataset(job: ResolvedJob, runDir: string | null = null): Promise<Dataset> {
  const inputs: DatasetInput[] = [];
  for (const { name, path, leftOut } of datasetInputs(job, runDir)) {
    const mltable = await readMLTable(path);
    const table = tableOf(name, mltable, job.settings.inputFormat[name] ?? null);
    if (table !== null && mltable !== null) checkPathColumns(name, path, mltable);
    inputs.push({ name, path, mltable, files: mltable?.source.files ?? null, table, ...(leftOut === undefined ? {} : { leftOut }) });
  }
  const files = inputs.filter((input) => input.table === null);
  const tables = inputs.filter((input) => input.table !== null);
  const tableSize = tableBatchSize(job);
  const keys = job.settings.partitionKeys;
  if (keys.length > 0 && tables.length > 0) {
    const other = files[0];
    if (other !== undefined) {
      throw new UsageError(
        `partition keys (--partition-keys ${keys.join(',')}) apply to every input, and input \`${tables[0]?.name ?? ''}\` is a table while \`${other.name}\` is files: ` +
          `read both as tables (--input-format), or run them apart`,
      );
    }
    for (const input of tables) await checkTableKeys(tableInput(input), keys);
    return { inputs, cutting: { kind: 'count', files: 1 }, tableSize, tableKeys: keys, context: plainContext, limit: job.limit };
  }
  if (keys.length > 0) return { inputs, ...partitionPlan(inputs, keys), tableSize, tableKeys: [], limit: job.limit };
  const first = files[0];
  const cutting: Cutting = { kind: 'count', files: first === undefined ? 1 : filesPerMiniBatch(job, first.name) };
  return { inputs, cutting, tableSize, tableKeys: [], context: plainContext, limit: job.limit };
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
    const table = input.table === null ? null : tableInput(input);
    const batches =
      table === null
        ? planBatches([input], dataset.cutting, limit)
        : dataset.tableKeys.length > 0
          ? table.read.format.kind === 'parquet'
            ? // Parquet's row reader loads only for a run that needs it: the command line starts without it.
              (await import('./parquet-keys.js')).planParquetByKeys(table, dataset.tableKeys, first, limit)
            : planTableByKeys(table, dataset.tableKeys, first, limit)
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

/** A table input as planning takes it. */
function tableInput(input: DatasetInput): TableInput {
  if (input.table === null) throw new Error(`input ${input.name} is not a table`);
  return { name: input.name, path: input.path, files: input.files ?? null, leftOut: input.leftOut ?? [], read: input.table };
}

/**
 * How input `name` is read as a table, if it is one: by its MLTable's read transformation, or by
 * `inputFormat` (over every file under its path, or the files its MLTable lists). What this build
 * does not honour on a table is refused rather than ignored: at its MLTable line when it comes from
 * one. Throws `SpecError` (MLTABLE_INVALID) or `UsageError`, both exit 2.
 */
function tableOf(name: string, mltable: LoadedMLTable | null, format: TableRead | null): TableRead | null {
  if (mltable === null) return format;
  const { definition, source } = mltable;
  if (source.kind === 'files') {
    if (format === null) return null;
    // The MLTable's partition format makes columns of the table's rows.
    return { ...format, partitionFormat: source.partitionFormat };
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

/**
 * An MLTable's read that planning cannot honour, refused at its line: a header borrowed from the
 * first file (`from_first_file`) in UTF-16 or UTF-32, whose header bytes and byte order mark belong
 * to another file. Everything else a table's MLTable says is honoured: `skip`, `take`, the header
 * modes, the encodings and the partition format by planning (table-plan.ts, table-keys.ts), the
 * column steps and `include_path_column` by the worker (python/_minibatch_host/tabular.py).
 */
function refuseUnhonoured(name: string, loaded: LoadedMLTable, read: TableRead): void {
  const { definition } = loaded;
  const d = new Diagnostics(definition.yaml);
  const on = `on input \`${name}\`, a table (\`${definition.read?.name ?? 'read'}\`)`;
  const format = read.format;
  // The read step's place is its list item; its options are under its name.
  const optionAt = (option: string): YamlPath => (definition.read === null ? [] : [...definition.read.at, definition.read.name, option]);
  if (format.kind === 'delimited' && format.header === 'from_first_file' && (format.encoding === 'utf16' || format.encoding === 'utf32')) {
    d.error(optionAt('header'), `header: from_first_file with encoding: ${format.encoding} ${on} is not supported: use all_files_same_headers, or convert the files to utf8`);
  }
  const problems = d.sorted();
  if (problems.length > 0) throw new SpecError('MLTABLE_INVALID', problems);
}

/**
 * Every file of a table whose MLTable has a partition format must fit it: its fields are columns of
 * the file's rows, which a file that does not fit would lack. Refused at the format's line.
 */
function checkPathColumns(name: string, path: string, loaded: LoadedMLTable): void {
  const { definition, source } = loaded;
  const text = definition.partitionFormat;
  if (text === null) return;
  const parsed = parsePartitionFormat(text);
  if (!parsed.ok) return;
  const root = listedRoot(source.files, path);
  for (const file of source.files) {
    if (partitionValues(parsed.format, relative(root, file).split(sep).join('/')) !== null) continue;
    const d = new Diagnostics(definition.yaml);
    d.error(
      definition.partitionFormatAt ?? [],
      `input \`${name}\`: ${file} does not fit the partition format \`${text}\`, so its rows would lack the columns ${parsed.format.fields.map((f) => `\`${f}\``).join(', ')}: ` +
        `fix the pattern, or list only files that fit under paths`,
    );
    throw new SpecError('MLTABLE_INVALID', d.sorted());
  }
}

async function readMLTable(path: string): Promise<LoadedMLTable | null> {
  const file = findMLTable(path);
  if (file === null) return null;
  // The MLTable code (yaml reading, picomatch) loads only for an input that has one: a run of
  // plain folders starts without it.
  const { loadMLTable } = await import('./mltable/load.js');
  return loadMLTable(file);
}
