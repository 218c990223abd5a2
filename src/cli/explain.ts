/**
 * `minibatch explain <spec|job> [bindings] [settings] [--json]`: the resolved job, without running
 * it or creating anything: the module, each binding, each setting and where it came from, the
 * entry's full command line (shell-quoted, ready to copy), the interpreter, the entry's
 * environment, and the dataset summary.
 */
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { planDataset, resolveDataset, tableBatchSize, type Dataset, type DatasetInput } from '../data/dataset.js';
import { describeMLTable, formatMLTableReading, type MLTableReading } from '../data/mltable/describe.js';
import { maskSecrets } from '../spec/secret-names.js';
import { itemCount } from '../ledger/inputs.js';
import { describeTableRead } from '../spec/input-format.js';
import { defaultRunsRoot } from '../run/rundir.js';
import { newRunId } from '../run/runId.js';
import { scriptEnvironment } from '../workers/script-env.js';
import { pipelineListing } from '../spec/azure/load.js';
import { readYamlFile } from '../spec/load.js';
import { entryCommand, entryEnvironment, shellJoin } from '../spec/render.js';
import { formatSetting, SETTING_KEYS, SETTING_NAMES } from '../spec/settings.js';
import type { ParamValue, ResolvedJob, SettingName, SettingSource } from '../spec/types.js';
import { assignGpus } from '../workers/gpus.js';
import { resolveInterpreter } from '../workers/interpreter.js';
import { addJobOptions, resolveJobFromCli } from './options.js';
import type { JobOptions } from './options.js';
import { printDiagnostics } from './validate.js';

/** Mini-batches shown in full. */
const SHOWN_MINI_BATCHES = 3;
/** Items named per shown mini-batch. */
const SHOWN_ITEMS = 3;

export interface Explanation {
  readonly runId: string;
  readonly runDir: string;
  readonly module: { name: string; version: string; file: string; sourceDir: string; entry: string };
  readonly jobFile: string | null;
  readonly inputs: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, ParamValue | null>>;
  readonly outputs: Readonly<Record<string, string>>;
  /** `origin`: where the spec layer's value was written, in its file's terms (`retry_settings.timeout`). */
  readonly settings: Readonly<Record<SettingName, { value: unknown; display: string; source: SettingSource; origin: string | null }>>;
  readonly interpreter: { command: string; executable: string; version: string };
  readonly workingDir: string;
  readonly argv: readonly string[];
  readonly command: string;
  readonly environment: Readonly<Record<string, string>>;
  /** The GPUs found or given, and each slot's device (null: slots are not restricted). */
  readonly gpus: { devices: readonly string[]; source: string; perSlot: readonly string[] | null };
  readonly dataset: {
    /**
     * `readAs`: how the input is read (`files, 10 per mini-batch`, `table: csv, …`); `mltable`: how an
     * input bound to an MLTable is read, null: every file under its path; `leftOut`: folders under
      * the input that are not its data (the run's outputs, its run directory).
     */
    inputs: { name: string; path: string; readAs: string; mltable: MLTableReading | null; leftOut?: readonly string[] }[];
    /** Partition keys (one mini-batch per combination of their values); empty: miniBatchSize. */
    partitionKeys: readonly string[];
    /** Files, and rows of tables. */
    items: number;
    miniBatches: number;
    /** `rows`: a table's mini-batch's rows (its one item is the file and byte range); null for files. */
    first: { index: number; input: string; key: string; items: string[]; rows: number | null }[];
  };
}

export function register(program: Command): void {
  const command = program
    .command('explain')
    .description('print the resolved job (bindings, settings and their sources, the entry command, the dataset) without running it')
    .argument('<spec|job>', 'a module spec, or a job file (module: ./module.yaml)');
  addJobOptions(command)
    .option('--json', 'print the same as JSON')
    .action(async (target: string, opts: JobOptions & { json?: boolean }) => {
      const listing = pipelineListing(await readYamlFile(target, 'module spec or job file'), opts.node ?? null);
      if (listing !== null) {
        process.stdout.write(listing);
        return;
      }
      const runId = newRunId();
      const runDir = join(defaultRunsRoot(), runId);
      const { job, diagnostics } = await resolveJobFromCli(target, opts, runDir);
      printDiagnostics(diagnostics);
      const explanation = await explain(job, runId, runDir);
      process.stdout.write(opts.json === true ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
    });
}

export async function explain(job: ResolvedJob, runId: string, runDir: string): Promise<Explanation> {
  const interpreter = await resolveInterpreter(job.settings.python);
  const argv = entryCommand(job, interpreter.executable);
  const slots = job.settings.processCountPerNode;
  const gpus = assignGpus(job.settings.gpus, slots);
  const settings = Object.fromEntries(
    SETTING_NAMES.map((name) => {
      const value = name === 'environmentVariables' ? maskSecrets(job.settings.environmentVariables) : job.settings[name];
      return [
        name,
        {
          value,
          display: formatSetting(name, value),
          source: job.settingSources[name],
          origin: job.settingSources[name] === 'spec' ? (job.module.settingOrigins[name] ?? null) : null,
        },
      ];
    }),
  ) as Explanation['settings'];
  return {
    runId,
    runDir,
    module: { name: job.module.name, version: job.module.version, file: job.module.file, sourceDir: job.module.sourceDir, entry: job.module.entry },
    jobFile: job.jobFile,
    inputs: job.inputs,
    parameters: job.parameters,
    outputs: job.outputs,
    settings,
    interpreter: { command: job.settings.python, ...interpreter },
    workingDir: job.module.sourceDir,
    argv,
    command: shellJoin(argv),
    environment: maskSecrets({
      ...entryEnvironment(job, { runId, workerId: '<one per worker process>', slot: slots > 1 ? `<0…${slots - 1}>` : 0 }),
      ...scriptEnvironment(job, runDir, gpus),
    }),
    gpus,
    dataset: await summarizeDataset(job),
  };
}

async function summarizeDataset(job: ResolvedJob): Promise<Explanation['dataset']> {
  const resolved = await resolveDataset(job);
  const inputs = resolved.inputs.map((i) => ({
    name: i.name,
    path: i.path,
    readAs: describeInput(job, resolved, i),
    mltable: i.mltable === null ? null : describeMLTable(i.mltable),
    ...(i.leftOut === undefined ? {} : { leftOut: i.leftOut }),
  }));
  const partitionKeys = resolved.cutting.kind === 'partition' ? resolved.cutting.keys : resolved.tableKeys;
  const dataset: Explanation['dataset'] = { inputs, partitionKeys, items: 0, miniBatches: 0, first: [] };
  for await (const batch of planDataset(resolved)) {
    dataset.items += itemCount(batch);
    dataset.miniBatches += 1;
    if (dataset.first.length < SHOWN_MINI_BATCHES) {
      const slice = batch.slice;
      const items =
        slice === null
          ? batch.items.map((i) => i.rel)
          : 'kind' in slice
            ? batch.items.map((i, n) => `${i.rel} ${describeRanges(slice.parts[n]?.ranges ?? [])}`)
            : batch.items.map((i) => `${i.rel} bytes ${slice.start}-${slice.end}`);
      dataset.first.push({ index: batch.index, input: batch.input, key: batch.key, items, rows: slice?.rows ?? null });
    }
  }
  return dataset;
}

/** A partition-key mini-batch's byte ranges in one file, the first few. */
function describeRanges(ranges: readonly (readonly [number, number])[]): string {
  const shown = ranges.slice(0, 3).map(([s, e]) => `${s}-${e}`);
  return `bytes ${shown.join(', ')}${ranges.length > shown.length ? `, … (${ranges.length} ranges)` : ''}`;
}

/** How an input is read and cut, as explain shows it. */
function describeInput(job: ResolvedJob, dataset: Dataset, input: DatasetInput): string {
  if (input.table === null) {
    if (dataset.cutting.kind === 'partition') return 'files, one mini-batch per partition';
    return `files, ${formatSetting('miniBatchSize', job.settings.miniBatchSize)} per mini-batch`;
  }
  if (dataset.tableKeys.length > 0) return `table: ${describeTableRead(input.table)}; one mini-batch per combination of ${dataset.tableKeys.join(', ')}`;
  const size = tableBatchSize(job);
  const cut = size.unit === 'rows' ? `${size.rows} rows` : formatSetting('miniBatchSize', { unit: 'bytes', bytes: size.bytes });
  return `table: ${describeTableRead(input.table)}; mini-batches of ${cut}`;
}

export function formatExplanation(e: Explanation): string {
  const out: string[] = [];
  const table = (rows: readonly (readonly string[])[], indent = '  '): void => {
    const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
    for (const row of rows) out.push(indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
  };
  const section = (title: string, record: Readonly<Record<string, string | ParamValue | null>>): void => {
    const rows = Object.entries(record).map(([k, v]) => [k, v === null ? '(unset)' : String(v)]);
    out.push(title);
    if (rows.length === 0) out.push('  (none)');
    else table(rows);
  };

  table(
    [
      ['module', `${e.module.name} ${e.module.version}  (${e.module.file})`],
      ['job file', e.jobFile ?? '(none)'],
      ['run', `${e.runId}  (${relative(process.cwd(), e.runDir)}; explain creates nothing)`],
    ],
    '',
  );
  out.push('');
  section('inputs', e.inputs);
  section('parameters', e.parameters);
  section('outputs', e.outputs);
  out.push('', 'settings');
  table(SETTING_NAMES.map((name) => {
    const s = e.settings[name];
    return [SETTING_KEYS[name], s.display, s.origin === null ? s.source : `${s.source}: ${s.origin}`];
  }));
  const gpus = e.gpus.devices.length === 0
    ? `none (${e.gpus.source})`
    : e.gpus.perSlot === null
      ? `${e.gpus.devices.join(',')} (${e.gpus.source}); fewer devices than processes: every slot sees all`
      : `${e.gpus.perSlot.map((d, slot) => `slot ${slot} → ${d}`).join(', ')} (${e.gpus.source}; CUDA_VISIBLE_DEVICES per slot)`;
  out.push('');
  table(
    [
      ['interpreter', `${e.interpreter.executable}  (Python ${e.interpreter.version}, from ${e.interpreter.command})`],
      ['working dir', e.workingDir],
      ['command', e.command],
      ['gpus', gpus],
    ],
    '',
  );
  out.push('', 'environment');
  for (const [name, value] of Object.entries(e.environment)) out.push(`  ${name}=${value}`);
  out.push('', 'dataset');
  const nameWidth = Math.max(0, ...e.dataset.inputs.map((i) => i.name.length));
  const pathWidth = Math.max(0, ...e.dataset.inputs.map((i) => i.path.length));
  for (const input of e.dataset.inputs) {
    out.push(`  ${input.name.padEnd(nameWidth)}  ${input.path.padEnd(pathWidth)}  ${input.readAs}`.trimEnd());
    if (input.mltable !== null) out.push(...formatMLTableReading(input.mltable, `  ${' '.repeat(nameWidth + 2)}`));
  }
  if (e.dataset.partitionKeys.length > 0) out.push(`  one mini-batch per combination of ${e.dataset.partitionKeys.join(', ')} (partition keys)`);
  for (const input of e.dataset.inputs) {
    for (const dir of input.leftOut ?? []) out.push(`  ${input.name} leaves out ${dir}: an output of this run, not its data`);
  }
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  out.push(`  ${plural(e.dataset.items, 'item')} in ${plural(e.dataset.miniBatches, 'mini-batch')}`.replace(/mini-batchs/, 'mini-batches'));
  table(
    e.dataset.first.map((b) => {
      const more = b.items.length > SHOWN_ITEMS ? `, … (${b.items.length - SHOWN_ITEMS} more)` : '';
      const count = b.rows === null ? plural(b.items.length, 'item') : plural(b.rows, 'row');
      return [`mini-batch ${b.index}`, b.input, count, b.items.slice(0, SHOWN_ITEMS).join(', ') + more];
    }),
  );
  return `${out.join('\n')}\n`;
}
