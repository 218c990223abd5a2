/** What a worker needs to read a tabular mini-batch itself: its rows' ranges and the input's format. */
import { join } from 'node:path';
import type { TableRead, TableSlice } from '../core/table-format.js';
import type { TableTask, TryTask } from '../core/tries.js';
import { parsePartitionFormat, partitionValues, type PartitionFormat } from '../data/partition-format.js';
import type { FileItem } from '../data/types.js';
import { itemCount, rootOf } from '../ledger/inputs.js';

/** Items a try's mini-batch holds, counted as the ledger counts them (`itemCount`). */
export function taskItems(task: TryTask): number {
  return itemCount({ items: task.items, slice: task.table === null ? null : task.table.slice });
}

export function tableTask(
  mb: { readonly input: string; readonly slice: TableSlice | null; readonly items: readonly FileItem[] },
  tables: Readonly<Record<string, TableRead>> | undefined,
): TableTask | null {
  if (mb.slice === null) return null;
  const read = tables?.[mb.input];
  if (read === undefined) throw new Error(`mini-batch of input ${mb.input} is a table slice, but the job reads that input as files`);
  const slice = mb.slice;
  const headerFiles = 'kind' in slice ? slice.parts.map((p) => p.headerFile) : [slice.headerFile ?? null];
  const format = read.partitionFormat === null ? null : formatOf(read.partitionFormat);
  return {
    read,
    slice,
    headerPaths: mb.items.map((item, i) => {
      const rel = headerFiles[i] ?? null;
      return rel === null ? null : join(rootOf(item), ...rel.split('/'));
    }),
    pathColumns: mb.items.map((item) => (format === null ? {} : (partitionValues(format, item.rel) ?? {}))),
  };
}

let lastFormat: { readonly text: string; readonly format: PartitionFormat | null } | null = null;

/** The parsed partition format (the last one is kept: a run has one per input). */
function formatOf(text: string): PartitionFormat | null {
  if (lastFormat?.text !== text) {
    const parsed = parsePartitionFormat(text);
    lastFormat = { text, format: parsed.ok ? parsed.format : null };
  }
  return lastFormat.format;
}
