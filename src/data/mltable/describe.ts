/** How an MLTable input will be read, as `explain` shows it. */
import type { LoadedMLTable } from './load.js';

export interface MLTableReading {
  /** The MLTable file. */
  readonly file: string;
  /** `files`: a file dataset of the listed files; `table`: rows of them. */
  readonly kind: 'files' | 'table';
  /** Its `paths` entries as written. */
  readonly paths: readonly { readonly kind: string; readonly path: string }[];
  /** Its transformations in order, each with its arguments in one line. */
  readonly transformations: readonly { readonly name: string; readonly args: string }[];
  /** How many files it lists (after skip/take, for a file dataset). */
  readonly files: number;
}

export function describeMLTable(loaded: LoadedMLTable): MLTableReading {
  const { definition, source } = loaded;
  return {
    file: definition.file,
    kind: source.kind,
    paths: definition.paths.map((p) => ({ kind: p.kind, path: p.text })),
    transformations: definition.steps.map((s) => ({ name: s.name, args: s.summary })),
    files: source.files.length,
  };
}

/** The reading in a few lines, indented by `indent`. */
export function formatMLTableReading(r: MLTableReading, indent: string): string[] {
  const what = r.kind === 'files' ? `a file dataset of ${r.files} listed file${r.files === 1 ? '' : 's'}` : `a table of ${r.files} files`;
  const lines = [`${indent}MLTable ${r.file}: ${what}`];
  for (const p of r.paths) lines.push(`${indent}  ${p.kind}: ${p.path}`);
  for (const t of r.transformations) lines.push(`${indent}  ${t.name}${t.args === '' ? '' : ` ${t.args}`}`);
  return lines;
}
