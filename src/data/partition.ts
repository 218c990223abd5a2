/**
 * Partition keys over file paths: with `partitionKeys`, an input's files are grouped by the values
 * their paths hold for the keys, as its MLTable's `extract_columns_from_partition_format` pattern
 * takes them (`{user}/{season}/{genre}.wav`). Checked before anything runs: a key the pattern does
 * not name, an input without such a pattern, and a file the pattern does not fit are refused.
 */
import { relative, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import { positionAt } from '../spec/diagnostics.js';
import type { MiniBatchContext } from '../core/tries.js';
import { listedRoot } from './listed.js';
import type { LoadedMLTable } from './mltable/load.js';
import { parsePartitionFormat, partitionValues, type PartitionFormat } from './partition-format.js';
import type { Cutting } from './plan.js';

interface PartitionedInput {
  readonly name: string;
  readonly path: string;
  readonly mltable: LoadedMLTable | null;
}

/** Each input's pattern, parsed, and the root its files' relative paths start at. */
interface Partitioning {
  readonly format: PartitionFormat;
  readonly root: string;
}

export type MakeContext = (index: number, input: string, items: readonly { readonly rel: string }[]) => MiniBatchContext;

/**
 * How `inputs` are cut by `keys`, and what `run()` gets for each mini-batch: the keys' values (those
 * of its first file: every file of a mini-batch has the same) and the folder that
 * `mini_batch_context.dataset.to_path()` is relative to. Throws a `UsageError` (exit 2) naming the
 * key, the input and the pattern.
 */
export function partitionPlan(
  inputs: readonly PartitionedInput[],
  keys: readonly string[],
): { readonly cutting: Extract<Cutting, { kind: 'partition' }>; readonly context: MakeContext } {
  const byInput = partitionings(inputs, keys);
  const valuesOf = (input: string, rel: string): string[] => {
    const p = byInput.get(input);
    const values = p === undefined ? null : partitionValues(p.format, rel);
    // Planning and reconciling see only listed files, and every one was checked to fit.
    if (p === undefined || values === null) throw new Error(`partition: ${input}/${rel} does not fit its partition format`);
    return keys.map((k) => values[k] ?? '');
  };
  const context: MakeContext = (index, input, items) => {
    const p = byInput.get(input);
    const first = items[0];
    // A mini-batch stored by a run whose MLTable had another pattern may not fit this one: its
    // values are then unknown, which must not stop the run.
    const values = p === undefined || first === undefined ? null : partitionValues(p.format, first.rel);
    const partition: Record<string, string> = {};
    if (values !== null) for (const key of keys) partition[key] = values[key] ?? '';
    return { minibatch_index: index, partition_key_value: partition, dataset_root: p?.root ?? null };
  };
  return { cutting: { kind: 'partition', keys, valuesOf }, context };
}

function partitionings(inputs: readonly PartitionedInput[], keys: readonly string[]): Map<string, Partitioning> {
  const out = new Map<string, Partitioning>();
  const flag = `--partition-keys ${keys.join(',')}`;
  for (const input of inputs) {
    const loaded = input.mltable;
    if (loaded === null) {
      throw new UsageError(
        `partition keys (${flag}) over files come from the paths, through an MLTable's extract_columns_from_partition_format, ` +
          `and input \`${input.name}\` (${input.path}) has no MLTable file: add one to that folder, e.g. ` +
          `\`paths: [{folder: .}]\` and \`transformations: [{extract_columns_from_partition_format: '{${keys[0] ?? 'Key'}}/*'}]\``,
      );
    }
    const { definition, source } = loaded;
    const text = definition.partitionFormat;
    if (text === null) {
      throw new UsageError(
        `partition keys (${flag}) need the fields of a partition format, and input \`${input.name}\`'s MLTable (${definition.yaml.display}) ` +
          `has no extract_columns_from_partition_format: add one naming the keys, e.g. \`- extract_columns_from_partition_format: '{${keys[0] ?? 'Key'}}/*'\``,
      );
    }
    const parsed = parsePartitionFormat(text);
    if (!parsed.ok) throw new Error(`partition: ${text} was accepted when its MLTable was read`);
    const { format } = parsed;
    const where = definition.partitionFormatAt === null ? definition.yaml.display : place(loaded);
    for (const key of keys) {
      if (format.fields.includes(key)) continue;
      throw new UsageError(
        `partition key \`${key}\` is not a field of input \`${input.name}\`'s partition format \`${text}\` (${where}); ` +
          `its fields are ${format.fields.map((f) => `\`${f}\``).join(', ')}: give those in --partition-keys (or partitionKeys), or name \`{${key}}\` in the pattern`,
      );
    }
    const root = listedRoot(source.files, input.path);
    for (const file of source.files) {
      const rel = relative(root, file).split(sep).join('/');
      if (partitionValues(format, rel) !== null) continue;
      throw new UsageError(
        `input \`${input.name}\`: ${file} does not fit the partition format \`${text}\` (${where}), so it has no partition key values: ` +
          `fix the pattern, or list only files that fit under paths`,
      );
    }
    out.set(input.name, { format, root });
  }
  return out;
}

/** `file:line:col` of an MLTable's partition format. */
function place(loaded: LoadedMLTable): string {
  const { definition } = loaded;
  const { line, col } = positionAt(definition.yaml, definition.partitionFormatAt ?? []);
  return `${definition.yaml.display}:${line}:${col}`;
}
