/**
 * An MLTable's `extract_columns_from_partition_format` pattern, such as `{user}/{season}/{genre}.wav`:
 * the fields it takes from a file's path. The rules are the `mltable` package's: `{name}` is one
 * run of characters without `/`, `\` or `.`; `*` is any text (shortest first); `{{` and `}}` are
 * literal braces; everything else is itself. The pattern describes the end of a path ("from the
 * first partition key to the end of the file path"), so it is matched against the end of a file's
 * path relative to the MLTable's folder, starting at a folder boundary.
 *
 * `{name:yyyy/MM/dd}` (a datetime made of path parts) is refused: its value is a datetime, which
 * neither a mini-batch's key values nor a file dataset's partitions carry yet.
 */

export interface PartitionFormat {
  /** The pattern as written. */
  readonly text: string;
  /** Field names in order of first appearance. */
  readonly fields: readonly string[];
  readonly regex: RegExp;
  /** For each capture group of `regex`, its field. */
  readonly groups: readonly string[];
}

export type ParsedFormat =
  | { readonly ok: true; readonly format: PartitionFormat }
  /** `offset`: where in the pattern the problem is (0-based). */
  | { readonly ok: false; readonly problem: string; readonly offset: number };

export function parsePartitionFormat(text: string): ParsedFormat {
  const fail = (problem: string, offset: number): ParsedFormat => ({ ok: false, problem, offset });
  const fields: string[] = [];
  const groups: string[] = [];
  let source = '';
  // A leading `/` anchors nothing more than the folder boundary every match starts at.
  let i = text.startsWith('/') ? 1 : 0;
  while (i < text.length) {
    const c = text.charAt(i);
    const pair = text.slice(i, i + 2);
    if (pair === '{{' || pair === '}}') {
      source += `\\${c}`;
      i += 2;
      continue;
    }
    if (c === '}') return fail('has a `}` without its `{` (write `}}` for a literal brace)', i);
    if (c === '{') {
      const close = text.indexOf('}', i + 1);
      if (close === -1) return fail('has a `{` that is never closed', i);
      const name = text.slice(i + 1, close);
      if (name.trim() === '') return fail('has an empty field `{}`: name it, e.g. `{Store}`', i);
      if (name.includes(':')) {
        return fail(
          `has \`{${name}}\`, a datetime field, which minibatch does not extract: use one string field per part instead, e.g. \`{Year}/{Month}/{Day}\``,
          i,
        );
      }
      const earlier = fields.indexOf(name);
      if (earlier === -1) {
        fields.push(name);
        groups.push(name);
        source += '([^./\\\\]+)';
      } else {
        // The same field twice must have the same value both times.
        source += `\\${groups.indexOf(name) + 1}`;
      }
      i = close + 1;
      continue;
    }
    source += c === '*' ? '.*?' : escapeRegex(c);
    i++;
  }
  if (fields.length === 0) return fail('names no field: write fields in braces, e.g. `{Store}/{Year}/*.csv`', 0);
  return { ok: true, format: { text, fields, groups, regex: new RegExp(`(?:^|/)${source}$`, 'u') } };
}

/**
 * The fields' values for a file, from its path relative to the MLTable's folder (with `/`), or
 * null when the path does not fit the pattern.
 */
export function partitionValues(format: PartitionFormat, rel: string): Record<string, string> | null {
  const match = format.regex.exec(rel);
  if (match === null) return null;
  const values: Record<string, string> = {};
  format.groups.forEach((name, g) => {
    values[name] = match[g + 1] ?? '';
  });
  return values;
}

function escapeRegex(c: string): string {
  return /[\\^$.|?*+()[\]{}]/.test(c) ? `\\${c}` : c;
}
