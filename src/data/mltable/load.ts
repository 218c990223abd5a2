/**
 * An input bound to an MLTable: to a folder holding an `MLTable` file, or to that file itself. It
 * is read as Azure reads it: with a read transformation it is a table; without one, a file dataset
 * of exactly the files its `paths` list (skip and take then count files, as the `mltable` package
 * counts the rows of its one `Path` column).
 */
import { isAbsolute, relative } from 'node:path';
import type { DatasetSource } from '../table-format.js';
import { listedFiles } from './files.js';
import { parseMLTable, type MLTableDefinition } from './parse.js';

export interface LoadedMLTable {
  readonly definition: MLTableDefinition;
  readonly source: DatasetSource;
}

/** Parses the MLTable at `file` and lists its files. Throws a `SpecError` (MLTABLE_INVALID). */
export async function loadMLTable(file: string): Promise<LoadedMLTable> {
  const definition = await parseMLTable(file, displayPath(file));
  const listed = await listedFiles(definition);
  if (definition.read === null) {
    const end = definition.takeRows === null ? undefined : definition.skipRows + definition.takeRows;
    const files = listed.slice(definition.skipRows, end);
    return { definition, source: { kind: 'files', files, partitionFormat: definition.partitionFormat, origin: file } };
  }
  const { format } = definition.read;
  return {
    definition,
    source: {
      kind: 'table',
      files: listed,
      origin: file,
      read: {
        format,
        columnSteps: definition.columnSteps,
        skipRows: definition.skipRows,
        takeRows: definition.takeRows,
        partitionFormat: definition.partitionFormat,
      },
    },
  };
}

/** Relative to the current folder when inside it (shorter messages), else absolute. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}
