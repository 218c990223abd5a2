/**
 * Planning a Parquet table (docs/TABULAR.md): a mini-batch is a range of rows of one file, never
 * crossing a row group, so the worker decodes only the row groups it needs. Only the file's footer
 * (its metadata) is read here. For Parquet, a slice's `start` and `end` are row numbers in the file,
 * not bytes. A byte size is turned into rows by each row group's own bytes per row.
 */
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { tableSliceKey } from './key.js';
import { tableFiles, type TableBatchSize, type TableInput } from './table-plan.js';
import type { RangeSlice } from './table-format.js';
import type { PlannedMiniBatch } from './types.js';

export async function* planParquet(
  input: TableInput,
  size: TableBatchSize,
  firstIndex: number,
  limit: number | null,
): AsyncGenerator<PlannedMiniBatch[]> {
  let index = firstIndex;
  const end = limit === null ? Infinity : firstIndex + limit;
  // `skip` and `take` count rows over the whole table, files in plan order.
  const keepFrom = input.read.skipRows;
  const keepTo = input.read.takeRows === null ? Infinity : keepFrom + input.read.takeRows;
  let tableRow = 0;
  for await (const files of tableFiles(input)) {
    for (const file of files) {
      if (tableRow >= keepTo) return;
      const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file.path));
      const slices: RangeSlice[] = [];
      let first = 0;
      for (const group of metadata.row_groups) {
        const rows = Number(group.num_rows);
        const perBatch =
          size.unit === 'rows' ? size.rows : Math.max(1, Math.floor(size.bytes / Math.max(1, Number(group.total_byte_size) / Math.max(1, rows))));
        // The group's rows the window keeps, as rows of the file.
        const from = first + Math.max(0, keepFrom - tableRow);
        const to = first + Math.min(rows, Math.max(0, keepTo - tableRow));
        for (let at = from; at < to; at += perBatch) {
          const n = Math.min(perBatch, to - at);
          slices.push({ start: at, end: at + n, rows: n, header: null, headerFile: null });
        }
        first += rows;
        tableRow += rows;
      }
      const planned = slices
        .slice(0, Math.max(0, end - index))
        .map((slice) => ({ index: index++, input: input.name, items: [file], key: tableSliceKey(input.name, file, slice), slice }));
      if (planned.length > 0) yield planned;
      if (index >= end) return;
    }
  }
}
