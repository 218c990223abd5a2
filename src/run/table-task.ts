/** What a worker needs to read a tabular mini-batch itself: its rows' range and the input's format. */
import type { TableRead } from '../core/table-format.js';
import type { TableSlice } from '../core/table-format.js';
import type { TableTask, TryTask } from '../core/tries.js';

/** Items a try's mini-batch holds: files, or a table's rows. */
export function taskItems(task: TryTask): number {
  return task.table === null ? task.items.length : task.table.slice.rows;
}

export function tableTask(
  mb: { readonly input: string; readonly slice: TableSlice | null },
  tables: Readonly<Record<string, TableRead>> | undefined,
): TableTask | null {
  if (mb.slice === null) return null;
  const read = tables?.[mb.input];
  if (read === undefined) throw new Error(`mini-batch of input ${mb.input} is a table slice, but the job reads that input as files`);
  return { read, slice: mb.slice };
}
