/**
 * The MLTable parser of minibatch's offline `mltable` Python module (python/shims_mltable, docs/AZURE.md):
 * resolves an MLTable file with the same parser runs use (data/mltable/) and prints what it lists
 * and how to read it, as one JSON object on stdout:
 *
 *     node mltable-source.js MLTABLE_FILE
 *
 * `{paths, files: [{path, pathColumns}], read}`: `read` is the table's `TableRead`, or null for a
 * file dataset (its files already skipped and taken). A refused MLTable prints its message on stderr
 * and exits 2.
 */
import { dirname, relative, sep } from 'node:path';
import { MinibatchError } from '../core/errors.js';
import { loadMLTable } from './mltable/load.js';
import { parsePartitionFormat, partitionValues } from './partition-format.js';

async function main(argv: readonly string[]): Promise<void> {
  const [file] = argv;
  if (file === undefined) throw new Error('usage: mltable-source MLTABLE_FILE');
  const { definition, source } = await loadMLTable(file);
  const text = source.kind === 'table' ? source.read.partitionFormat : source.partitionFormat;
  const parsed = text === null ? null : parsePartitionFormat(text);
  const format = parsed !== null && parsed.ok ? parsed.format : null;
  const root = dirname(file);
  const files = source.files.map((path) => {
    const rel = relative(root, path).split(sep).join('/');
    return { path, pathColumns: format === null ? {} : (partitionValues(format, rel) ?? {}) };
  });
  const out = {
    paths: definition.paths.map((p) => ({ [p.kind]: p.text })),
    files,
    read: source.kind === 'table' ? source.read : null,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof MinibatchError ? error.exitCode : 1;
});
