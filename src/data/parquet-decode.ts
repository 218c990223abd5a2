/**
 * The worker host's Parquet reader where pyarrow is missing (docs/TABULAR.md): decodes rows
 * [start, end) of a Parquet file with hyparquet and writes them to stdout in a form pandas builds a
 * DataFrame from without parsing: one JSON line describing the columns, then each column's bytes —
 * numbers as little-endian arrays (`numpy.frombuffer`), anything else as a JSON array.
 *
 *     node parquet-decode.js FILE START END
 *
 * Run by python/_minibatch_tabular.py, once per mini-batch, with the Node that runs minibatch.
 */
import { gunzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';

interface Column {
  readonly name: string;
  /** A numpy dtype for `frombuffer`, or `json`. */
  readonly dtype: 'float64' | 'float32' | 'int64' | 'int32' | 'bool' | 'json';
  readonly bytes: number;
}

type Cell = unknown;

function encode(values: readonly Cell[], type: string | undefined): { dtype: Column['dtype']; data: Buffer } {
  const numeric = (array: Float64Array | Float32Array | Int32Array | BigInt64Array): Buffer => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  const noNulls = values.every((v) => v !== null && v !== undefined);
  if (noNulls && type === 'DOUBLE') return { dtype: 'float64', data: numeric(Float64Array.from(values as number[])) };
  if (noNulls && type === 'FLOAT') return { dtype: 'float32', data: numeric(Float32Array.from(values as number[])) };
  if (noNulls && type === 'INT32' && values.every((v) => typeof v === 'number')) return { dtype: 'int32', data: numeric(Int32Array.from(values as number[])) };
  if (noNulls && type === 'INT64' && values.every((v) => typeof v === 'bigint')) return { dtype: 'int64', data: numeric(BigInt64Array.from(values as bigint[])) };
  if (noNulls && type === 'BOOLEAN') return { dtype: 'bool', data: Buffer.from(Uint8Array.from(values as boolean[], (b) => (b ? 1 : 0))) };
  // Nulls (pandas makes them NaN / None), strings, dates and nested values: JSON.
  const json = JSON.stringify(values, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v));
  return { dtype: 'json', data: Buffer.from(json) };
}

async function main(argv: readonly string[]): Promise<void> {
  const [path, startText, endText] = argv;
  if (path === undefined || startText === undefined || endText === undefined) throw new Error('usage: parquet-decode FILE START END');
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const schema = parquetSchema(metadata);
  const names = schema.children.map((c) => c.element.name);
  const types = new Map(schema.children.map((c) => [c.element.name, c.element.type] as const));
  const rows = await new Promise<unknown[][]>((resolve, reject) => {
    parquetRead({
      file,
      metadata,
      rowStart: Number(startText),
      rowEnd: Number(endText),
      compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) },
      onComplete: (result: unknown[][]) => resolve(result),
    }).catch(reject);
  });
  const columns: Column[] = [];
  const parts: Buffer[] = [];
  names.forEach((name, c) => {
    const { dtype, data } = encode(rows.map((row) => row[c]), types.get(name));
    columns.push({ name, dtype, bytes: data.byteLength });
    parts.push(data);
  });
  process.stdout.write(`${JSON.stringify({ rows: rows.length, columns })}\n`);
  for (const part of parts) process.stdout.write(part);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
