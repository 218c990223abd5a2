/**
 * An MLTable's `transformations`, checked one by one (each problem at its place) and gathered into
 * what they mean together: the read transformation's format, and the row and column steps in the
 * resolved form `TableRead` holds.
 */
import { Diagnostics, formatPath, type YamlPath } from '../../spec/diagnostics.js';
import { closest } from '../../spec/suggest.js';
import type { ColumnStep, ColumnType, HeaderMode, TableFormat } from '../table-format.js';
import { parsePartitionFormat } from '../partition-format.js';
import type { MLTableDefinition, MLTableStep } from './parse.js';

const READS = ['read_delimited', 'read_parquet', 'read_json_lines'] as const;
const OTHER_STEPS = [
  'extract_columns_from_partition_format',
  'keep_columns',
  'drop_columns',
  'skip',
  'take',
  'convert_column_types',
] as const;
/** Transformations of Azure's schema that minibatch refuses, each with what to do instead. */
const REFUSED: Readonly<Record<string, string>> = {
  read_delta_lake: 'convert the Delta table to Parquet files and read them with read_parquet',
  filter: 'filter rows in run() instead',
  take_random_sample: 'sample rows in run() instead, or use take',
  select_partitions: 'list the wanted files under paths instead',
};
const HEADERS: readonly HeaderMode[] = ['all_files_same_headers', 'all_files_different_headers', 'from_first_file', 'no_header'];
const ENCODINGS = ['utf8', 'iso88591', 'latin1', 'ascii', 'utf16', 'utf32', 'utf8bom', 'windows1252'] as const;
const COLUMN_TYPES: readonly ColumnType[] = ['int', 'float', 'boolean', 'string', 'datetime'];

/** The transformations, checked one by one, gathered into what they mean together. */
export class Steps {
  readonly steps: MLTableStep[] = [];
  read: { name: string; format: TableFormat; at: YamlPath } | null = null;
  columnSteps: ColumnStep[] = [];
  skipRows = 0;
  takeRows: number | null = null;
  partitionFormat: string | null = null;
  partitionFormatAt: YamlPath | null = null;
  /** Row transformations, for the check that a file dataset has none. */
  private readonly rowSteps: { name: string; at: YamlPath }[] = [];

  constructor(private readonly d: Diagnostics) {}

  add(step: unknown, at: YamlPath): void {
    // `- read_parquet` alone is a step without arguments.
    const entry = typeof step === 'string' ? { [step]: null } : step;
    const keys = isRecord(entry) ? Object.keys(entry) : [];
    const name = keys[0];
    if (keys.length !== 1 || name === undefined) {
      this.d.error(at, 'each transformation is a mapping with one key, e.g. `- read_delimited: {delimiter: ","}` or `- take: 10`');
      return;
    }
    const args = (entry as Record<string, unknown>)[name];
    const argsAt = [...at, name];
    const refused = REFUSED[name];
    if (refused !== undefined) {
      this.d.error(at, `transformation \`${name}\` is not supported by minibatch: ${refused}`);
      return;
    }
    if ((READS as readonly string[]).includes(name)) {
      if (this.read !== null) {
        this.d.error(at, `a second read transformation (\`${name}\`): an MLTable is read one way; keep one`);
        return;
      }
      const format = this.readFormat(name as (typeof READS)[number], args, argsAt);
      if (format !== null) this.read = { name, format, at };
      this.steps.push({ name, summary: summarize(args) });
      return;
    }
    if (!(OTHER_STEPS as readonly string[]).includes(name)) {
      const known = [...READS, ...OTHER_STEPS];
      const near = closest(name, [...known, ...Object.keys(REFUSED)]);
      this.d.error(
        at,
        `unknown transformation \`${name}\`${near === null ? '' : ` (did you mean \`${near}\`?)`}; minibatch honours ${known.map((k) => `\`${k}\``).join(', ')}`,
        'key',
      );
      return;
    }
    this.steps.push({ name, summary: summarize(args) });
    switch (name as (typeof OTHER_STEPS)[number]) {
      case 'extract_columns_from_partition_format':
        this.partition(args, argsAt);
        this.columnSteps.push({ step: 'partition_columns' });
        return;
      case 'keep_columns': {
        const columns = this.columns(name, args, argsAt);
        if (columns !== null) this.columnSteps.push({ step: 'keep_columns', columns });
        this.rowSteps.push({ name, at });
        return;
      }
      case 'drop_columns': {
        const columns = this.columns(name, args, argsAt);
        if (columns !== null) this.columnSteps.push({ step: 'drop_columns', columns });
        this.rowSteps.push({ name, at });
        return;
      }
      case 'skip': {
        const n = this.count(name, args, argsAt, 0);
        // A skip after a take skips within what was taken.
        if (n !== null) {
          if (this.takeRows !== null) this.takeRows = Math.max(0, this.takeRows - n);
          this.skipRows += n;
        }
        return;
      }
      case 'take': {
        const n = this.count(name, args, argsAt, 1);
        if (n !== null) this.takeRows = this.takeRows === null ? n : Math.min(this.takeRows, n);
        return;
      }
      case 'convert_column_types':
        this.convert(args, argsAt);
        this.rowSteps.push({ name, at });
        return;
    }
  }

  /** A file dataset's "rows" are its files: skip and take count files, columns mean nothing. */
  checkFileDataset(): void {
    if (this.read !== null) return;
    for (const step of this.rowSteps) {
      this.d.error(
        step.at,
        `\`${step.name}\` works on a table's columns, and this MLTable has no read transformation (read_delimited, read_parquet or read_json_lines), ` +
          `so it is a file dataset: add a read transformation, or remove \`${step.name}\``,
      );
    }
  }

  result(): Omit<MLTableDefinition, 'file' | 'yaml' | 'dir' | 'paths'> {
    return {
      steps: this.steps,
      read: this.read,
      columnSteps: this.columnSteps,
      skipRows: this.skipRows,
      takeRows: this.takeRows,
      partitionFormat: this.partitionFormat,
      partitionFormatAt: this.partitionFormatAt,
    };
  }

  private readFormat(name: (typeof READS)[number], args: unknown, at: YamlPath): TableFormat | null {
    const allowed: Record<(typeof READS)[number], readonly string[]> = {
      read_delimited: ['delimiter', 'header', 'encoding', 'empty_as_string', 'include_path_column', 'support_multi_line', 'infer_column_types'],
      read_parquet: ['include_path_column'],
      read_json_lines: ['encoding', 'include_path_column', 'invalid_lines'],
    };
    const o = this.options(name, args, at, allowed[name]);
    if (o === null) return null;
    const includePathColumn = this.flag(o, 'include_path_column', at, false);
    switch (name) {
      case 'read_delimited': {
        const delimiter = o['delimiter'] ?? ',';
        if (typeof delimiter !== 'string' || [...delimiter].length !== 1) {
          this.d.error([...at, 'delimiter'], `delimiter must be one character, e.g. "," or "\\t"; found ${shown(delimiter)}`);
        }
        const header = this.choice(o, 'header', at, HEADERS, 'all_files_same_headers');
        const encoding = this.choice(o, 'encoding', at, ENCODINGS, 'utf8');
        this.flag(o, 'infer_column_types', at, true);
        return {
          kind: 'delimited',
          delimiter: typeof delimiter === 'string' ? delimiter : ',',
          header,
          encoding,
          emptyAsString: this.flag(o, 'empty_as_string', at, false),
          supportMultiLine: this.flag(o, 'support_multi_line', at, false),
          includePathColumn,
        };
      }
      case 'read_json_lines': {
        if (o['encoding'] !== undefined && o['encoding'] !== 'utf8') {
          this.d.error([...at, 'encoding'], `read_json_lines reads utf8 only in minibatch; found ${shown(o['encoding'])}: convert the files to UTF-8`);
        }
        if (o['invalid_lines'] !== undefined && o['invalid_lines'] !== 'error') {
          this.d.error([...at, 'invalid_lines'], `invalid_lines: only \`error\` is supported (a bad line fails its mini-batch); found ${shown(o['invalid_lines'])}`);
        }
        return { kind: 'json_lines', encoding: 'utf8', includePathColumn };
      }
      case 'read_parquet':
        return { kind: 'parquet', includePathColumn };
    }
  }

  /** A step's arguments as a mapping (null or absent: none), every key known. */
  private options(name: string, args: unknown, at: YamlPath, allowed: readonly string[]): Record<string, unknown> | null {
    if (args === null || args === undefined) return {};
    if (!isRecord(args)) {
      this.d.error(at, `${name} takes a mapping of options (${allowed.join(', ')}); found ${shown(args)}`);
      return null;
    }
    for (const key of Object.keys(args)) {
      if (allowed.includes(key)) continue;
      const near = closest(key, [...allowed]);
      this.d.error([...at, key], `${name} has no option \`${key}\`${near === null ? '' : ` (did you mean \`${near}\`?)`}; its options are ${allowed.join(', ')}`, 'key');
    }
    return args;
  }

  private flag(o: Record<string, unknown>, key: string, at: YamlPath, fallback: boolean): boolean {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'boolean') return v;
    this.d.error([...at, key], `${key} must be true or false; found ${shown(v)}`);
    return fallback;
  }

  private choice<T extends string>(o: Record<string, unknown>, key: string, at: YamlPath, choices: readonly T[], fallback: T): T {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    const found = choices.find((c) => c === v);
    if (found !== undefined) return found;
    this.d.error([...at, key], `${key} must be one of ${choices.join(', ')}; found ${shown(v)}`);
    return fallback;
  }

  private count(name: string, args: unknown, at: YamlPath, min: number): number | null {
    if (typeof args === 'number' && Number.isSafeInteger(args) && args >= min) return args;
    this.d.error(at, `${name} must be a whole number${min > 0 ? ` of ${min} or more` : ''}, e.g. \`- ${name}: 10\`; found ${shown(args)}`);
    return null;
  }

  private columns(name: string, args: unknown, at: YamlPath): string[] | null {
    const list = typeof args === 'string' ? [args] : args;
    if (Array.isArray(list) && list.length > 0 && list.every((c) => typeof c === 'string' && c !== '')) return list as string[];
    this.d.error(at, `${name} must be a column name or a list of them, e.g. \`- ${name}: [col1, col2]\`; found ${shown(args)}`);
    return null;
  }

  private partition(args: unknown, at: YamlPath): void {
    // The mltable package writes `{partition_format: …}`; a plain string is accepted too.
    let text: unknown = args;
    let textAt = at;
    if (isRecord(args) && Object.keys(args).length === 1 && 'partition_format' in args) {
      text = args['partition_format'];
      textAt = [...at, 'partition_format'];
    } else if (isRecord(args)) {
      // `{Store}/{Year}` unquoted is a YAML mapping, not text.
      this.d.error(at, `the partition format must be quoted text, e.g. \`- extract_columns_from_partition_format: '{Store}/{Year}/*.csv'\` (unquoted, YAML reads \`{…}\` as a mapping)`);
      return;
    }
    if (typeof text !== 'string' || text.trim() === '') {
      this.d.error(textAt, `the partition format must be text such as '{Store}/{Year}/*.csv'; found ${shown(text)}`);
      return;
    }
    if (this.partitionFormat !== null) {
      this.d.error(textAt, 'a second extract_columns_from_partition_format: give one pattern');
      return;
    }
    const parsed = parsePartitionFormat(text);
    if (!parsed.ok) this.d.error(textAt, `partition format \`${text}\` ${parsed.problem}`);
    else {
      this.partitionFormat = text;
      this.partitionFormatAt = textAt;
    }
  }

  private convert(args: unknown, at: YamlPath): void {
    const example = '`- convert_column_types: [{columns: [Age], column_type: int}]`';
    if (!Array.isArray(args)) {
      this.d.error(at, `convert_column_types must be a list of {columns, column_type}, e.g. ${example}`);
      return;
    }
    const types: Record<string, ColumnType> = {};
    args.forEach((item, i) => {
      const itemAt = [...at, i];
      if (!isRecord(item) || item['columns'] === undefined || item['column_type'] === undefined) {
        this.d.error(itemAt, `each conversion has columns: and column_type:, e.g. ${example}`);
        return;
      }
      const columns = this.columns('columns', item['columns'], [...itemAt, 'columns']);
      const type = item['column_type'];
      const found = COLUMN_TYPES.find((t) => t === type);
      if (found === undefined) {
        const why = isRecord(type)
          ? `column_type with options (${formatPath(Object.keys(type))}) is not supported: give a plain type and convert further in run()`
          : `column_type must be one of ${COLUMN_TYPES.join(', ')}; found ${shown(type)}`;
        this.d.error([...itemAt, 'column_type'], why);
        return;
      }
      for (const c of columns ?? []) types[c] = found;
    });
    this.columnSteps.push({ step: 'convert_column_types', types });
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function shown(v: unknown): string {
  if (v === undefined || v === null) return 'nothing';
  if (typeof v === 'string') return `\`${v}\``;
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `\`${JSON.stringify(v)}\``;
}

/** A step's arguments in one line, for `explain`. */
function summarize(args: unknown): string {
  if (args === null || args === undefined) return '';
  if (isRecord(args)) return Object.entries(args).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
  return JSON.stringify(args);
}
