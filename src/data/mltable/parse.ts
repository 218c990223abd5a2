/**
 * Reading an `MLTable` file (Azure ML's table definition, CLI v2 schema `MLTable.schema.json`) into
 * what minibatch needs: its `paths` and its transformations, each with its place in the file. Only
 * local paths and the transformations minibatch honours are accepted; anything else is an error at
 * its `file:line:col` saying what to do, never skipped: a run over data other than what the MLTable
 * describes would look right and be wrong.
 */
import { dirname } from 'node:path';
import { SpecError } from '../../core/errors.js';
import { Diagnostics, type YamlPath } from '../../spec/diagnostics.js';
import { readYamlFile, type YamlFile } from '../../spec/load.js';
import { closest } from '../../spec/suggest.js';
import type { ColumnStep, TableFormat } from '../table-format.js';
import { isRecord, shown, Steps } from './transformations.js';

export type PathKind = 'file' | 'folder' | 'pattern';

export interface MLTablePath {
  readonly kind: PathKind;
  /** As written, relative to the MLTable's folder unless absolute. */
  readonly text: string;
  readonly at: YamlPath;
}

/** One transformation, as `explain` shows it. */
export interface MLTableStep {
  readonly name: string;
  /** Its arguments in one line, e.g. `delimiter ',', header all_files_same_headers`. */
  readonly summary: string;
}

export interface MLTableDefinition {
  /** Absolute path of the MLTable file. */
  readonly file: string;
  /** The file as read, for diagnostics at its places (`display` is the path messages show). */
  readonly yaml: YamlFile;
  /** The MLTable's folder: relative paths start here. */
  readonly dir: string;
  readonly paths: readonly MLTablePath[];
  readonly steps: readonly MLTableStep[];
  /** The read transformation's format and where it is; null: a file dataset. */
  readonly read: { readonly name: string; readonly format: TableFormat; readonly at: YamlPath } | null;
  readonly columnSteps: readonly ColumnStep[];
  readonly skipRows: number;
  readonly takeRows: number | null;
  readonly partitionFormat: string | null;
  /** Where the partition format is written, for messages about its fields. */
  readonly partitionFormatAt: YamlPath | null;
}

const TOP_KEYS = ['$schema', 'type', 'paths', 'transformations'] as const;
/** URI schemes Azure reads and minibatch does not: the data must be local (or on a mounted share). */
const REMOTE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/**
 * Reads and checks the MLTable file at `file` (absolute; `display` is how messages name it); throws
 * a `SpecError` (MLTABLE_INVALID) listing every problem.
 */
export async function parseMLTable(file: string, display: string): Promise<MLTableDefinition> {
  const yaml = await readYamlFile(display, 'MLTable file');
  const d = new Diagnostics(yaml);
  const root = yaml.value;
  if (!isRecord(root)) {
    throw new SpecError('MLTABLE_INVALID', [
      { severity: 'error', file: display, line: 1, col: 1, message: 'an MLTable file is a YAML mapping with `paths:` and optional `transformations:`' },
    ]);
  }
  for (const key of Object.keys(root)) {
    if ((TOP_KEYS as readonly string[]).includes(key)) continue;
    const near = closest(key, [...TOP_KEYS]);
    d.error([key], `unknown key \`${key}\`${near === null ? '' : ` (did you mean \`${near}\`?)`}; an MLTable has ${TOP_KEYS.map((k) => `\`${k}\``).join(', ')}`, 'key');
  }
  if (root['type'] !== undefined && root['type'] !== 'mltable') d.error(['type'], `type must be \`mltable\`; found ${shown(root['type'])}`);

  const paths = readPaths(root['paths'], d);
  const parsed = new Steps(d);
  const transformations = root['transformations'];
  if (transformations !== undefined && transformations !== null) {
    if (!Array.isArray(transformations)) d.error(['transformations'], 'transformations must be a list, e.g. `- read_delimited: {delimiter: ","}`');
    else transformations.forEach((step, i) => parsed.add(step, ['transformations', i]));
  }
  parsed.checkFileDataset();
  if (d.errorCount > 0) throw new SpecError('MLTABLE_INVALID', d.sorted());
  return { file, yaml, dir: dirname(file), paths, ...parsed.result() };
}

function readPaths(raw: unknown, d: Diagnostics): MLTablePath[] {
  const example = 'e.g. `paths: [{folder: ./data}]` or `- pattern: ./**/*.csv`';
  if (raw === undefined || raw === null) {
    d.error([], `the MLTable has no \`paths\`: list the data, ${example}`);
    return [];
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    d.error(['paths'], `paths must be a non-empty list of file:, folder: or pattern: entries, ${example}`);
    return [];
  }
  const out: MLTablePath[] = [];
  raw.forEach((entry, i) => {
    const at: YamlPath = ['paths', i];
    const keys = isRecord(entry) ? Object.keys(entry) : [];
    const kind = keys[0];
    if (keys.length !== 1 || (kind !== 'file' && kind !== 'folder' && kind !== 'pattern')) {
      d.error(at, `paths[${i}] must have exactly one of file:, folder: or pattern:, e.g. \`- folder: ./data\``);
      return;
    }
    const text = (entry as Record<string, unknown>)[kind];
    if (typeof text !== 'string' || text.trim() === '') {
      d.error([...at, kind], `${kind} must be a path (relative to the MLTable's folder)`);
      return;
    }
    const scheme = REMOTE.exec(text)?.[1];
    if (scheme !== undefined) {
      d.error(
        [...at, kind],
        `${kind} \`${text}\` is a remote path (${scheme}://), which minibatch does not read: download the data ` +
          `(e.g. with azcopy or \`az storage blob download-batch\`) and point the MLTable at the local copy, relative to its folder`,
      );
      return;
    }
    out.push({ kind, text, at: [...at, kind] });
  });
  return out;
}

