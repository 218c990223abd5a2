/**
 * Planning a file dataset into mini-batches (docs/ARCHITECTURE.md, "Flow"): streamed, so the first
 * mini-batch is yielded (and can be dispatched) before listing ends, and memory does not grow with
 * the number of files. With partition keys, a mini-batch is one combination of key values instead:
 * the files an MLTable lists (held in memory already) grouped by the values their paths hold.
 */
import { miniBatchKey } from './key.js';
import { listFileBatches } from './list.js';
import { listedFileBatches } from './listed.js';
import type { FileItem, PlannedMiniBatch } from './types.js';

export interface PlanInput {
  /** The input port's name. */
  readonly name: string;
  /** The bound path: a folder, a single file, or an MLTable (its folder or the file). */
  readonly path: string;
  /** The files an MLTable lists (absolute, in its order); null or absent: every file under `path`. */
  readonly files?: readonly string[] | null;
  /** Folders under `path` that are not its data (this run's outputs and run directory): never listed. @default none */
  readonly leftOut?: readonly string[];
}

/** How an input's files become mini-batches. */
export type Cutting =
  /** `files` consecutive files each (the last one of an input may be short). */
  | { readonly kind: 'count'; readonly files: number }
  /**
   * One mini-batch per distinct combination of `keys`' values, sorted by the values (in key order),
   * files in listing order. `valuesOf` gives a file's values in key order (by its path relative to
   * its input's root).
   */
  | {
      readonly kind: 'partition';
      readonly keys: readonly string[];
      readonly valuesOf: (input: string, rel: string) => readonly string[];
    };

/**
 * The mini-batches of each input, inputs one after another. Indexes count from 0 across inputs; a
 * mini-batch never crosses an input. `limit`: plan only the first N mini-batches (`--limit`), and
 * stop listing there.
 */
export async function* planFiles(
  inputs: readonly PlanInput[],
  cutting: Cutting | number,
  limit: number | null,
): AsyncGenerator<PlannedMiniBatch> {
  for await (const batch of planBatches(inputs, cutting, limit)) yield* batch;
}

/**
 * `planFiles` in groups, as the listing delivers files: what a run streams into its ledger.
 * `how`: a Cutting, or a number of files per mini-batch.
 */
export async function* planBatches(
  inputs: readonly PlanInput[],
  how: Cutting | number,
  limit: number | null,
): AsyncGenerator<PlannedMiniBatch[]> {
  const cutting: Cutting = typeof how === 'number' ? { kind: 'count', files: how } : how;
  if (cutting.kind === 'count' && (!Number.isSafeInteger(cutting.files) || cutting.files < 1)) {
    throw new RangeError(`miniBatchSize must be a positive integer, got ${cutting.files}`);
  }
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new RangeError(`limit must be a non-negative integer or null, got ${limit}`);
  }
  const cutter = new Cutter(cutting.kind === 'count' ? cutting.files : Infinity, limit);
  for (const input of inputs) {
    if (cutter.full) return;
    cutter.startInput(input.name);
    // Leaving the loop early (limit reached) closes the listing generator too.
    const files = input.files ?? null;
    const listing = files === null ? listFileBatches(input.path, input.leftOut ?? []) : listedFileBatches(files, input.path);
    if (cutting.kind === 'partition') {
      const planned = cutter.addGroups(await groupByValues(listing, (rel) => cutting.valuesOf(input.name, rel)));
      if (planned.length > 0) yield planned;
      continue;
    }
    for await (const files of listing) {
      const planned = cutter.add(files);
      if (planned.length > 0) yield planned;
      if (cutter.full) return;
    }
    const last = cutter.endInput();
    if (last !== null) yield [last];
  }
}

/** An input's files grouped by their values, groups sorted by value (each value compared as text, in key order). */
async function groupByValues(
  listing: AsyncIterable<FileItem[]>,
  valuesOf: (rel: string) => readonly string[],
): Promise<FileItem[][]> {
  const groups = new Map<string, { values: readonly string[]; items: FileItem[] }>();
  for await (const files of listing) {
    for (const file of files) {
      const values = valuesOf(file.rel);
      const id = JSON.stringify(values);
      const group = groups.get(id);
      if (group === undefined) groups.set(id, { values, items: [file] });
      else group.items.push(file);
    }
  }
  return [...groups.values()].sort((a, b) => compareValues(a.values, b.values)).map((g) => g.items);
}

function compareValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
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

  /** Each group one mini-batch, up to the limit. */
  addGroups(groups: readonly FileItem[][]): PlannedMiniBatch[] {
    const out: PlannedMiniBatch[] = [];
    for (const group of groups) {
      if (this.full) break;
      this.items = group;
      out.push(this.cut());
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
