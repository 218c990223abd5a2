/**
 * Planning a file dataset into mini-batches (issue 3; DESIGN §2): streamed, so the first
 * mini-batch is yielded (and can be dispatched) before listing ends, and memory does not grow with
 * the number of files.
 */
import { miniBatchKey } from './key.js';
import { listFiles } from './list.js';
import type { FileItem, PlannedMiniBatch } from './types.js';

export interface PlanInput {
  /** The input port's name. */
  readonly name: string;
  /** The bound path: a folder or a single file. */
  readonly path: string;
}

/**
 * Mini-batches of `miniBatchSize` consecutive files of each input, inputs one after another.
 * Indexes count from 0 across inputs; a mini-batch never crosses an input (the last one of an input
 * may be short). `limit`: plan only the first N mini-batches (`--limit`), and stop listing there.
 */
export async function* planFiles(
  inputs: readonly PlanInput[],
  miniBatchSize: number,
  limit: number | null,
): AsyncGenerator<PlannedMiniBatch> {
  if (!Number.isSafeInteger(miniBatchSize) || miniBatchSize < 1) {
    throw new RangeError(`miniBatchSize must be a positive integer, got ${miniBatchSize}`);
  }
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new RangeError(`limit must be a non-negative integer or null, got ${limit}`);
  }
  let index = 0;
  for (const input of inputs) {
    if (limit !== null && index >= limit) return;
    let items: FileItem[] = [];
    // Leaving the loop early (limit reached) closes the listing generator too.
    for await (const item of listFiles(input.path)) {
      items.push(item);
      if (items.length < miniBatchSize) continue;
      yield planned(index++, input.name, items);
      items = [];
      if (limit !== null && index >= limit) return;
    }
    if (items.length > 0) yield planned(index++, input.name, items);
  }
}

function planned(index: number, input: string, items: readonly FileItem[]): PlannedMiniBatch {
  return { index, input, items, key: miniBatchKey(input, items) };
}
