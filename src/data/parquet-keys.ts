/**
 * Partition keys over a Parquet table's columns (docs/TABULAR.md, "Partition keys"): as
 * table-keys.ts does for text files, with row numbers for byte offsets. Planning decodes only the
 * key columns, one row group at a time (memory: one row group's key values), and groups the rows
 * (key-groups.ts); the worker decodes the row span of its ranges and keeps the rows whose keys match.
 */
import { gunzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { KeyGroups } from './key-groups.js';
import { parsePartitionFormat, partitionValues } from './partition-format.js';
import { keyValueOf } from './record-fields.js';
import type { KeyValue } from './table-format.js';
import { RowWindow, tableFiles, type TableInput } from './table-plan.js';
import type { FileItem, PlannedMiniBatch } from './types.js';

/** The column names of a Parquet file (its schema's top-level fields). */
export async function parquetColumns(path: string): Promise<string[]> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
  return parquetSchema(metadata).children.map((c) => c.element.name);
}

/** A Parquet cell as a key value: what the worker's pandas compares it with. */
function parquetKeyValue(cell: unknown): KeyValue {
  if (typeof cell === 'bigint') return Number.isSafeInteger(Number(cell)) ? Number(cell) : cell.toString();
  if (cell instanceof Date) return cell.toISOString();
  return keyValueOf(cell);
}

export async function* planParquetByKeys(input: TableInput, keys: readonly string[], firstIndex: number, limit: number | null): AsyncGenerator<PlannedMiniBatch[]> {
  const partition = input.read.partitionFormat === null ? null : parsePartitionFormat(input.read.partitionFormat);
  const pathFormat = partition?.ok === true ? partition.format : null;
  // A field of the partition format takes its value from the path, as for text files.
  const fromPath = keys.map((k) => pathFormat?.fields.includes(k) === true);
  const columns = keys.filter((_, i) => fromPath[i] !== true);
  const files: FileItem[] = [];
  const groups = new KeyGroups();
  const window = RowWindow.of(input.read);
  for await (const batch of tableFiles(input)) {
    for (const file of batch) {
      if (window.done) break;
      const at = { file: files.length, header: null, headerFile: null };
      files.push(file);
      const pathValues = (pathFormat === null ? null : partitionValues(pathFormat, file.rel)) ?? {};
      const buffer = await asyncBufferFromFile(file.path);
      const metadata = await parquetMetadataAsync(buffer);
      let first = 0;
      for (const group of metadata.row_groups) {
        const count = Number(group.num_rows);
        const rows = columns.length === 0 ? [] : await readColumns(buffer, metadata, columns, first, first + count);
        for (let r = 0; r < count; r++) {
          if (!window.admit()) continue;
          const row = rows[r] ?? [];
          let c = 0;
          const values = keys.map((k, i) => (fromPath[i] === true ? (pathValues[k] ?? null) : parquetKeyValue(row[c++])));
          groups.add(JSON.stringify(values), values, at, first + r, first + r + 1, first + r);
        }
        first += count;
        // Give the scheduler's thread a turn between row groups.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  yield* groups.miniBatches(input.name, keys, files, firstIndex, limit);
}

type Metadata = Awaited<ReturnType<typeof parquetMetadataAsync>>;
type Buffer_ = Awaited<ReturnType<typeof asyncBufferFromFile>>;

/** Rows [start, end) of `columns`, as arrays in `columns`' order. */
function readColumns(file: Buffer_, metadata: Metadata, columns: readonly string[], start: number, end: number): Promise<unknown[][]> {
  return new Promise<unknown[][]>((resolve, reject) => {
    parquetRead({
      file,
      metadata,
      columns: [...columns],
      rowStart: start,
      rowEnd: end,
      compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) },
      onComplete: (rows) => resolve(rows as unknown[][]),
    }).catch(reject);
  });
}
