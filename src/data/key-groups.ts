/**
 * The rows of a table grouped by partition-key combination, as planning finds them
 * (table-keys.ts, parquet-keys.ts): per combination and file, ranges of consecutive records (bytes of
 * a delimited or JSON Lines file, rows of a Parquet file). At most `MAX_RANGES` are kept per
 * combination and file: beyond that the closest half merge, and the worker, which keeps only the
 * rows whose keys match, reads the rows between them too. Memory is combinations × files ×
 * `MAX_RANGES`, whatever the number of rows.
 */
import { keySliceKey } from './key.js';
import { compareKeyValues } from './record-fields.js';
import type { KeyPart, KeyValue } from './table-format.js';
import type { FileItem, PlannedMiniBatch } from './types.js';

/** Ranges kept per combination and file before the closest merge. */
const MAX_RANGES = 32;

/** Which file a row is in, and the header its part is read with. */
export interface RowFile {
  /** Position of the file in the input's plan order. */
  readonly file: number;
  readonly header: readonly [number, number] | null;
  readonly headerFile: string | null;
}

interface Part extends RowFile {
  /** Flat [start, end, start, end, …]. */
  ranges: number[];
  /** The file's record that ends the last range (consecutive records extend it). */
  lastRecord: number;
}

interface Group {
  readonly values: readonly KeyValue[];
  rows: number;
  readonly parts: Part[];
}

export class KeyGroups {
  private readonly groups = new Map<string, Group>();

  /**
   * A row of combination `id` (whose values are `values`): record `ordinal` of its file (counted
   * from 0 in file order), at [start, end). Rows come in plan order.
   */
  add(id: string, values: readonly KeyValue[], at: RowFile, start: number, end: number, ordinal: number): void {
    let group = this.groups.get(id);
    if (group === undefined) {
      group = { values, rows: 0, parts: [] };
      this.groups.set(id, group);
    }
    group.rows++;
    let part = group.parts.at(-1);
    if (part === undefined || part.file !== at.file) {
      part = { file: at.file, header: at.header, headerFile: at.headerFile, ranges: [], lastRecord: -2 };
      group.parts.push(part);
    }
    if (part.lastRecord === ordinal - 1) part.ranges[part.ranges.length - 1] = end;
    else {
      part.ranges.push(start, end);
      if (part.ranges.length > 2 * MAX_RANGES) part.ranges = halved(part.ranges);
    }
    part.lastRecord = ordinal;
  }

  /** One mini-batch per combination, sorted by the values, indexes from `firstIndex`; at most `limit`. */
  *miniBatches(input: string, keys: readonly string[], files: readonly FileItem[], firstIndex: number, limit: number | null): Generator<PlannedMiniBatch[]> {
    const sorted = [...this.groups.values()].sort((a, b) => compareKeyValues(a.values, b.values));
    const end = limit === null ? sorted.length : Math.min(sorted.length, limit);
    const planned: PlannedMiniBatch[] = [];
    for (let i = 0; i < end; i++) {
      const group = sorted[i] as Group;
      const items = group.parts.map((p) => files[p.file] as FileItem);
      const parts: KeyPart[] = group.parts.map((p) => ({ header: p.header, headerFile: p.headerFile, ranges: pairs(p.ranges) }));
      const slice = { kind: 'keys', keys, values: group.values, rows: group.rows, parts } as const;
      planned.push({ index: firstIndex + i, input, items, key: keySliceKey(input, items, slice), slice });
      if (planned.length >= 256) yield planned.splice(0);
    }
    if (planned.length > 0) yield planned;
  }
}

/**
 * The ranges with the smaller half of the gaps between them closed: half as many, covering the same
 * records and those in the closed gaps. Closing the smallest gaps keeps the records read beside the
 * combination's own few when its rows come in clusters.
 */
function halved(ranges: readonly number[]): number[] {
  const gaps: number[] = [];
  for (let i = 2; i < ranges.length; i += 2) gaps.push((ranges[i] as number) - (ranges[i - 1] as number));
  const closing = Math.floor(gaps.length / 2);
  // Gaps up to `limit` close, and `ties` more of exactly `limit`, so that `closing` close in all.
  const limit = [...gaps].sort((a, b) => a - b)[closing - 1] ?? -1;
  let ties = closing - gaps.filter((g) => g < limit).length;
  const out: number[] = [ranges[0] as number, ranges[1] as number];
  gaps.forEach((gap, g) => {
    const close = gap < limit || (gap === limit && ties-- > 0);
    if (close) out[out.length - 1] = ranges[2 * g + 3] as number;
    else out.push(ranges[2 * g + 2] as number, ranges[2 * g + 3] as number);
  });
  return out;
}

function pairs(flat: readonly number[]): (readonly [number, number])[] {
  const out: (readonly [number, number])[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as number, flat[i + 1] as number]);
  return out;
}

