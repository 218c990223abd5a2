/**
 * Planning a file dataset into mini-batches (docs/ARCHITECTURE.md, "Flow"): streamed, so the first
 * mini-batch is yielded (and can be dispatched) before listing ends, and memory does not grow with
 * the number of files.
 */
import { miniBatchKey } from './key.js';
import { listFileBatches } from './list.js';
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
  for await (const batch of planBatches(inputs, miniBatchSize, limit)) yield* batch;
}

/** `planFiles` in groups, as the listing delivers files: what a run streams into its ledger. */
export async function* planBatches(
  inputs: readonly PlanInput[],
  miniBatchSize: number,
  limit: number | null,
): AsyncGenerator<PlannedMiniBatch[]> {
  if (!Number.isSafeInteger(miniBatchSize) || miniBatchSize < 1) {
    throw new RangeError(`miniBatchSize must be a positive integer, got ${miniBatchSize}`);
  }
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new RangeError(`limit must be a non-negative integer or null, got ${limit}`);
  }
  const cutter = new Cutter(miniBatchSize, limit);
  for (const input of inputs) {
    if (cutter.full) return;
    cutter.startInput(input.name);
    // Leaving the loop early (limit reached) closes the listing generator too.
    for await (const files of listFileBatches(input.path)) {
      const planned = cutter.add(files);
      if (planned.length > 0) yield planned;
      if (cutter.full) return;
    }
    const last = cutter.endInput();
    if (last !== null) yield [last];
  }
}

/** Cuts one input's files into mini-batches (synchronous, so that the generator above stays small). */
class Cutter {
  private index = 0;
  private input = '';
  private items: FileItem[] = [];

  constructor(
    private readonly size: number,
    private readonly limit: number | null,
  ) {}

  /** `--limit` mini-batches are planned. */
  get full(): boolean {
    return this.limit !== null && this.index >= this.limit;
  }

  startInput(name: string): void {
    this.input = name;
    this.items = [];
  }

  add(files: readonly FileItem[]): PlannedMiniBatch[] {
    const out: PlannedMiniBatch[] = [];
    for (const file of files) {
      this.items.push(file);
      if (this.items.length < this.size) continue;
      out.push(this.cut());
      if (this.full) break;
    }
    return out;
  }

  /** The input's last, short mini-batch, if any. */
  endInput(): PlannedMiniBatch | null {
    return this.items.length > 0 && !this.full ? this.cut() : null;
  }

  private cut(): PlannedMiniBatch {
    const items = this.items;
    this.items = [];
    return { index: this.index++, input: this.input, items, key: miniBatchKey(this.input, items), slice: null };
  }
}
