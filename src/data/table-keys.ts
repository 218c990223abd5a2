/**
 * Partition keys over a table's columns (docs/TABULAR.md, "Partition keys"): one mini-batch per
 * distinct combination of the keys' values, sorted by the values, holding that combination's rows
 * from every file of the input in file order.
 *
 * Planning reads each file once, record by record (table-records.ts), and decodes only the key
 * fields; no row is kept. Per combination and file it keeps byte ranges of the records that hold
 * the combination: consecutive records extend one range, and when a file's ranges for one
 * combination pass `MAX_RANGES`, the closest half merge (the records between them are read too). So the
 * orchestrator holds at most combinations × files × `MAX_RANGES` ranges, whatever the number of
 * rows; the worker reads its ranges and keeps the rows whose key fields equal the combination's
 * (python/_minibatch_host/tabular.py), so a merged range costs reading, never a wrong row.
 *
 * A key is a column of the files (its header's names; `0`, `1`, … without one; a JSON Lines
 * object's names) or a field of the input's partition format (the file's path). A key that is
 * neither is refused before the run starts (`checkTableKeys`).
 */
import { UsageError } from '../core/errors.js';
import { KeyGroups } from './key-groups.js';
import { parsePartitionFormat, partitionValues, type PartitionFormat } from './partition-format.js';
import { allFields, delimitedFields, jsonRecord, keyValueOf, textEncoding, type TextEncoding } from './record-fields.js';
import type { KeyValue, TableFormat } from './table-format.js';
import { codeUnitOf, HeaderSource, RowWindow, tableFiles, type TableInput } from './table-plan.js';
import { scanRecords, type RecordSink } from './table-records.js';
import type { FileItem, PlannedMiniBatch } from './types.js';

type TextFormat = Exclude<TableFormat, { kind: 'parquet' }>;

/** Where each key's value comes from in one file: a field of the record, or the file's path. */
type KeySource = { readonly field: number } | { readonly name: string } | { readonly path: string };

/**
 * Checks, before anything runs, that every key is a column of every file (or a field of the
 * partition format): reads each file's first record. Throws a `UsageError` (exit 2) naming the key,
 * the input and the columns that exist.
 */
export async function checkTableKeys(input: TableInput, keys: readonly string[]): Promise<void> {
  const format = input.read.format;
  // Keys are read from the records' bytes as one-byte or UTF-8 text.
  if (format.kind === 'delimited' && codeUnitOf(format) !== 1) {
    throw new UsageError(
      `input \`${input.name}\` is read with encoding: ${format.encoding}, which partition keys over a table's columns do not support: ` +
        `convert the files to utf8, or run without --partition-keys (partitionKeys)`,
    );
  }
  const pathFields = pathFieldsOf(input);
  const headers = new HeaderSource(format);
  for await (const files of tableFiles(input)) {
    for (const file of files) {
      let names: string[] | null;
      if (format.kind === 'parquet') names = await (await import('./parquet-keys.js')).parquetColumns(file.path);
      else {
        const first = await firstRecord(file.path, format);
        if (first === null) continue;
        names = columnNames(format, first, headers);
      }
      // A file read with the first file's header (`from_first_file`) has that file's columns.
      if (names === null) continue;
      for (const key of keys) {
        if (names.includes(key) || pathFields.includes(key)) continue;
        const exist = [...names, ...pathFields].map((c) => `\`${c}\``).join(', ');
        throw new UsageError(
          `partition key \`${key}\` is not a column of input \`${input.name}\` (${file.path}): its columns are ${exist}; ` +
            `give those in --partition-keys (or partitionKeys)`,
        );
      }
    }
  }
}

/**
 * The mini-batches of a table input by `keys`, indexes counting from `firstIndex`, sorted by the
 * keys' values; nothing is yielded before every file is read (a combination's rows may be anywhere).
 */
export async function* planTableByKeys(input: TableInput, keys: readonly string[], firstIndex: number, limit: number | null): AsyncGenerator<PlannedMiniBatch[]> {
  const format = input.read.format;
  if (format.kind === 'parquet') throw new Error('planTableByKeys: a Parquet table is planned by keys in parquet-keys.ts');
  const partition = input.read.partitionFormat === null ? null : parsePartitionFormat(input.read.partitionFormat);
  const pathFormat = partition?.ok === true ? partition.format : null;
  const files: FileItem[] = [];
  const groups = new KeyGroups();
  const window = RowWindow.of(input.read);
  const headers = new HeaderSource(format);
  const quotes = format.kind === 'delimited' && format.supportMultiLine;
  for await (const batch of tableFiles(input)) {
    for (const file of batch) {
      if (window.done) break;
      const own = headers.ownHeader();
      const sink = new KeySink({ format, keys, pathFormat, file, fileIndex: files.length, borrowed: own ? null : headers.borrowed(), window, groups });
      files.push(file);
      for await (const _ of scanRecords(file.path, { quotes }, sink)) {
        // The sink records into `groups`; nothing to hand on per chunk.
      }
      if (own) headers.found(file.rel, sink.header);
    }
  }
  yield* groups.miniBatches(input.name, keys, files, firstIndex, limit);
}

interface KeySinkOptions {
  readonly format: TextFormat;
  readonly keys: readonly string[];
  readonly pathFormat: PartitionFormat | null;
  readonly file: FileItem;
  readonly fileIndex: number;
  /** The header this file's rows are read with when it is another file's (`from_first_file`); null: its own first record. */
  readonly borrowed: { readonly header: readonly [number, number] | null; readonly headerFile: string | null } | null;
  readonly window: RowWindow;
  readonly groups: KeyGroups;
}

/** Reads one file's records into the groups. */
class KeySink implements RecordSink<never> {
  header: readonly [number, number] | null = null;
  private readonly headerFile: string | null;
  private needHeader: boolean;
  private sources: KeySource[] | null = null;
  /** Fields of a record to decode: up to the last key column. */
  private fieldCount = 0;
  private view: Buffer = Buffer.alloc(0);
  private viewBase = 0;
  private lastEnd = 0;
  private record_ = 0;
  private readonly delimiter: Buffer;
  private readonly encoding: TextEncoding;
  private readonly pathValues: Readonly<Record<string, string>>;
  private readonly format: TextFormat;

  constructor(private readonly o: KeySinkOptions) {
    const { format, borrowed, pathFormat, file } = o;
    this.format = format;
    this.needHeader = borrowed === null;
    this.header = borrowed?.header ?? null;
    this.headerFile = borrowed?.headerFile ?? null;
    this.delimiter = format.kind === 'delimited' ? delimiterOf(format) : Buffer.alloc(0);
    this.encoding = format.kind === 'delimited' ? textEncoding(format) : 'utf8';
    this.pathValues = (pathFormat === null ? null : partitionValues(pathFormat, file.rel)) ?? {};
    if (format.kind === 'json_lines' || format.header === 'no_header') this.setSources(null);
  }

  chunk(bytes: Buffer, base: number): void {
    // What is left of the last chunk (a record not yet ended) comes first.
    const tail = this.view.subarray(this.lastEnd - this.viewBase);
    this.view = tail.length === 0 ? bytes : Buffer.concat([tail, bytes]);
    this.viewBase = base - tail.length;
  }

  record(start: number, end: number, blank: boolean): void {
    this.lastEnd = end;
    if (blank) return;
    const s = start - this.viewBase;
    const e = end - this.viewBase;
    if (this.needHeader) {
      this.needHeader = false;
      this.header = [start, end];
      this.setSources(allFields(this.view, s, e, this.delimiter, this.encoding));
      return;
    }
    const ordinal = this.record_++;
    if (!this.o.window.admit()) return;
    const values = this.valuesOf(s, e);
    // A delimited file's values are all text: joined, they name the combination without JSON's cost.
    const id = this.format.kind === 'delimited' ? values.join('\u0000') : JSON.stringify(values);
    this.o.groups.add(id, values, { file: this.o.fileIndex, header: this.header, headerFile: this.headerFile }, start, end, ordinal);
  }

  finish(): void {}

  drain(): never[] {
    // Keep only what an unfinished record needs of this chunk (chunk() copies it on).
    this.view = Buffer.from(this.view.subarray(this.lastEnd - this.viewBase));
    this.viewBase = this.lastEnd;
    return [];
  }

  private valuesOf(s: number, e: number): KeyValue[] {
    const sources = this.sources ?? [];
    if (this.format.kind === 'json_lines') {
      const object = jsonRecord(this.view, s, e);
      return sources.map((src) => ('path' in src ? (this.pathValues[src.path] ?? null) : 'name' in src ? keyValueOf(object?.[src.name]) : null));
    }
    const fields = this.fieldCount === 0 ? [] : delimitedFields(this.view, s, e, this.delimiter, this.encoding, this.fieldCount);
    return sources.map((src) => ('path' in src ? (this.pathValues[src.path] ?? null) : 'field' in src ? (fields[src.field] ?? '') : null));
  }

  private setSources(names: readonly string[] | null): void {
    this.sources = this.sourcesFrom(names);
    this.fieldCount = 1 + Math.max(-1, ...this.sources.map((src) => ('field' in src ? src.field : -1)));
  }

  /**
   * Each key's source in this file, from its header's names (null: no header, or JSON Lines). A
   * field of the partition format takes its value from the path.
   */
  private sourcesFrom(names: readonly string[] | null): KeySource[] {
    const pathFields = this.o.pathFormat?.fields ?? [];
    return this.o.keys.map((key) => {
      if (pathFields.includes(key)) return { path: key };
      if (this.format.kind === 'json_lines') return { name: key };
      const at = names === null ? (/^\d+$/.test(key) ? Number(key) : -1) : names.indexOf(key);
      if (at >= 0) return { field: at };
      throw new UsageError(`partition key \`${key}\` is not a column of ${this.o.file.path} (its columns are ${(names ?? []).map((n) => `\`${n}\``).join(', ')})`);
    });
  }
}

function delimiterOf(format: Extract<TableFormat, { kind: 'delimited' }>): Buffer {
  return Buffer.from(format.delimiter, textEncoding(format));
}

/** The fields of a partition format, which are columns of the rows too. */
function pathFieldsOf(input: TableInput): string[] {
  const text = input.read.partitionFormat;
  if (text === null) return [];
  const parsed = parsePartitionFormat(text);
  return parsed.ok ? [...parsed.format.fields] : [];
}

/**
 * A file's columns, from its first record: a header's names, `0`, `1`, … without a header, a JSON
 * object's names; null for a file read with the first file's header (`from_first_file`).
 */
function columnNames(format: TextFormat, first: Buffer, headers: HeaderSource): string[] | null {
  if (format.kind === 'json_lines') return Object.keys(jsonRecord(first, 0, first.length) ?? {});
  const fields = allFields(first, 0, first.length, delimiterOf(format), textEncoding(format));
  if (format.header === 'no_header') return fields.map((_, i) => String(i));
  if (!headers.ownHeader()) return null;
  // Only whether a header was found matters here, not where.
  headers.found('', [0, 0]);
  return fields;
}

/** The bytes of a file's first record (not a blank line), or null when it has none. */
async function firstRecord(path: string, format: TextFormat): Promise<Buffer | null> {
  const quotes = format.kind === 'delimited' && format.supportMultiLine;
  const sink = new FirstRecord();
  for await (const _ of scanRecords(path, { quotes }, sink)) break;
  return sink.found;
}

class FirstRecord implements RecordSink<true> {
  found: Buffer | null = null;
  /** The file from its start, until the first record is found. */
  private bytes: Buffer = Buffer.alloc(0);

  chunk(bytes: Buffer): void {
    if (this.found === null) this.bytes = Buffer.concat([this.bytes, bytes]);
  }

  record(start: number, end: number, blank: boolean): void {
    if (this.found === null && !blank) this.found = Buffer.from(this.bytes.subarray(start, end));
  }

  finish(): void {}

  drain(): true[] {
    return this.found === null ? [] : [true];
  }
}
