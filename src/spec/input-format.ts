/**
 * Declaring a table without an MLTable: a format per input (`csv`, `tsv`, `jsonl`, `parquet`, with
 * `read_delimited`'s options), written the same way in a spec's or job file's `settings.inputFormat`
 * and on the command line (`--input-format NAME=csv,delimiter=;`). Parsed here into the `TableRead`
 * that planning and the worker host take (docs/TABULAR.md).
 */
import type { HeaderMode, TableFormat, TableRead } from '../core/table-format.js';
import type { Parsed } from './settings.js';

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

export const FORMAT_NAMES = ['csv', 'tsv', 'jsonl', 'parquet'] as const;
const HEADER_MODES: readonly HeaderMode[] = ['all_files_same_headers', 'all_files_different_headers', 'from_first_file', 'no_header'];
const ENCODINGS = ['utf8', 'utf8bom', 'iso88591', 'latin1', 'windows1252', 'ascii', 'utf16', 'utf32'] as const;
/** Options by format; `read_delimited`'s names, as an MLTable spells them. */
const DELIMITED_OPTIONS = ['delimiter', 'header', 'encoding', 'empty_as_string', 'support_multi_line', 'include_path_column'];
const OTHER_OPTIONS = ['include_path_column'];
/** Words for delimiters that are awkward on a command line. */
const DELIMITER_WORDS: Record<string, string> = { tab: '\t', comma: ',', semicolon: ';', pipe: '|', space: ' ' };

type Options = Record<string, unknown>;

/** A YAML value as the user wrote it, for messages. */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? 'nothing';
}

/** `csv`, `csv,delimiter=;,header=no_header`, or a mapping `{format: csv, delimiter: ';'}`. */
export function parseTableDeclaration(raw: unknown): Parsed<TableRead> {
  let format: unknown;
  let options: Options;
  if (typeof raw === 'string') {
    const [head = '', ...rest] = raw.split(',');
    format = head.trim();
    options = {};
    for (const part of rest) {
      const eq = part.indexOf('=');
      if (eq === -1) return bad(`has \`${part}\`, which is not OPTION=VALUE (e.g. csv,delimiter=;,header=no_header)`);
      options[part.slice(0, eq).trim()] = part.slice(eq + 1);
    }
  } else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    ({ format, ...options } = raw as Options);
  } else {
    return bad(`must be a format (${FORMAT_NAMES.join(', ')}) or a mapping {format: csv, delimiter: ';', …}`);
  }
  const name = FORMAT_NAMES.find((f) => f === format);
  if (name === undefined) return bad(`names the format \`${textOf(format)}\`; use one of ${FORMAT_NAMES.join(', ')}`);
  const allowed = name === 'csv' || name === 'tsv' ? DELIMITED_OPTIONS : OTHER_OPTIONS;
  const unknown = Object.keys(options).find((k) => !allowed.includes(k));
  if (unknown !== undefined) return bad(`has the option \`${unknown}\`, which ${name} does not take; it takes ${allowed.join(', ')}`);
  const includePathColumn = flag(options, 'include_path_column', false);
  if (!includePathColumn.ok) return includePathColumn;
  const table = (f: TableFormat): TableRead => ({
    format: f,
    columnSteps: [],
    skipRows: 0,
    takeRows: null,
    partitionFormat: null,
  });
  if (name === 'jsonl') return ok(table({ kind: 'json_lines', encoding: 'utf8', includePathColumn: includePathColumn.value }));
  if (name === 'parquet') return ok(table({ kind: 'parquet', includePathColumn: includePathColumn.value }));
  const f = delimited(name === 'tsv' ? '\t' : ',', options, includePathColumn.value);
  return f.ok ? ok(table(f.value)) : f;
}

function delimited(defaultDelimiter: string, options: Options, includePathColumn: boolean): Parsed<TableFormat> {
  const rawDelimiter = options['delimiter'];
  const delimiter = rawDelimiter === undefined ? defaultDelimiter : DELIMITER_WORDS[textOf(rawDelimiter)] ?? textOf(rawDelimiter);
  if ([...delimiter].length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    return bad(`has delimiter \`${textOf(rawDelimiter)}\`; give one character other than a quote or line break (or tab, comma, semicolon, pipe, space)`);
  }
  const header = options['header'] ?? 'all_files_same_headers';
  const mode = HEADER_MODES.find((m) => m === header);
  if (mode === undefined) return bad(`has header \`${textOf(header)}\`; use one of ${HEADER_MODES.join(', ')}`);
  const encoding = options['encoding'] ?? 'utf8';
  const enc = ENCODINGS.find((e) => e === encoding);
  if (enc === undefined) return bad(`has encoding \`${textOf(encoding)}\`; use one of ${ENCODINGS.join(', ')}`);
  const emptyAsString = flag(options, 'empty_as_string', false);
  if (!emptyAsString.ok) return emptyAsString;
  // Quotes are honoured by default (pandas reads quoted line breaks); MLTable's own default is false.
  const multiLine = flag(options, 'support_multi_line', true);
  if (!multiLine.ok) return multiLine;
  return ok({
    kind: 'delimited',
    delimiter,
    header: mode,
    encoding: enc,
    emptyAsString: emptyAsString.value,
    supportMultiLine: multiLine.value,
    includePathColumn,
  });
}

function flag(options: Options, name: string, fallback: boolean): Parsed<boolean> {
  const raw = options[name];
  if (raw === undefined) return ok(fallback);
  if (raw === true || raw === 'true' || raw === 'True') return ok(true);
  if (raw === false || raw === 'false' || raw === 'False') return ok(false);
  return bad(`has ${name} \`${textOf(raw)}\`; use true or false`);
}

/** `settings.inputFormat`: input name (as written) → declaration. */
export function parseInputFormats(raw: unknown): Parsed<Record<string, TableRead>> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return bad('must be a mapping of input names to formats (Data Input 1: csv)');
  }
  const out: Record<string, TableRead> = {};
  for (const [name, value] of Object.entries(raw as Options)) {
    const parsed = parseTableDeclaration(value);
    if (!parsed.ok) return bad(`\`${name}\` ${parsed.problem}`);
    out[name] = parsed.value;
  }
  return ok(out);
}

/** How a table is read, in the words a user declares it with (for `explain`). */
const HEADER_WORDS: Readonly<Record<HeaderMode, string>> = {
  all_files_same_headers: 'header in every file',
  all_files_different_headers: 'each file its own header',
  from_first_file: 'header in the first file only',
  no_header: 'no header',
};

export function describeTableRead(read: TableRead): string {
  const f = read.format;
  const path = f.includePathColumn ? ', include_path_column' : '';
  if (f.kind === 'json_lines') return `jsonl${path}`;
  if (f.kind === 'parquet') return `parquet${path}`;
  const name = f.delimiter === ',' ? 'csv' : f.delimiter === '\t' ? 'tsv' : `delimited (delimiter ${JSON.stringify(f.delimiter)})`;
  const extras = [
    HEADER_WORDS[f.header],
    f.encoding === 'utf8' ? null : f.encoding,
    f.emptyAsString ? 'empty_as_string' : null,
    f.supportMultiLine ? 'quoted line breaks honoured' : 'one record per line',
  ].filter((x): x is string => x !== null);
  const rows = [read.skipRows > 0 ? `skip ${read.skipRows}` : null, read.takeRows === null ? null : `take ${read.takeRows}`].filter((x) => x !== null);
  const columns = read.partitionFormat === null ? '' : `, columns from paths ${read.partitionFormat}`;
  return `${name}, ${extras.join(', ')}${path}${columns}${rows.length > 0 ? `, ${rows.join(', ')}` : ''}`;
}
