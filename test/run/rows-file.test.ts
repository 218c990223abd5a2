import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { writeRowsFile } from '../../src/run/rows-file.js';
import { writeParquetRows } from '../../src/run/parquet-rows.js';

const dir = mkdtempSync(join(tmpdir(), 'mb-rows-'));

describe('the append_row file', () => {
  it('txt: one line per row, in the order given, and no partial file left behind', () => {
    const file = join(dir, 'parallel_run_step.txt');
    const result = writeRowsFile(file, 'txt', [
      { index: 0, rows: { kind: 'lines', lines: ['a.png: 3', 'b.png: 7'] } },
      { index: 1, rows: { kind: 'lines', lines: ['c.png: 1'] } },
    ]);
    expect(readFileSync(file, 'utf8')).toBe('a.png: 3\nb.png: 7\nc.png: 1\n');
    expect(result.rows).toBe(3);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });

  it('csv: a header from the first table, quoted fields, and misfits left out', () => {
    const file = join(dir, 'out.csv');
    const result = writeRowsFile(file, 'csv', [
      { index: 0, rows: { kind: 'table', columns: ['file', 'note'], values: [['a', 'x, "y"'], ['b', null]] } },
      { index: 1, rows: { kind: 'table', columns: ['file', 'other'], values: [['c', 1]] } },
      { index: 2, rows: { kind: 'table', columns: ['file', 'note'], values: [['d', true]] } },
    ]);
    expect(readFileSync(file, 'utf8')).toBe('file,note\na,"x, ""y"""\nb,\nd,True\n');
    expect(result.misfits).toEqual([{ index: 1, columns: ['file', 'other'] }]);
  });

  it('jsonl: one object per row keyed by the header', () => {
    const file = join(dir, 'out.jsonl');
    writeRowsFile(file, 'jsonl', [
      { index: 0, rows: { kind: 'table', columns: ['result'], values: [[1], ['two']] } },
    ]);
    expect(readFileSync(file, 'utf8')).toBe('{"result":1}\n{"result":"two"}\n');
  });

  it('csv and jsonl: float columns as pandas writes them (3.0, 1e-05), keys in column order', () => {
    const table = { kind: 'table', columns: ['2', 'x', 'n'], values: [[3, 1e-5, 3], [0.5, 1e16, null]], dtypes: ['float', 'float', 'int'] } as const;
    const csv = join(dir, 'floats.csv');
    writeRowsFile(csv, 'csv', [{ index: 0, rows: table }]);
    expect(readFileSync(csv, 'utf8')).toBe('2,x,n\n3.0,1e-05,3\n0.5,1e+16,\n');
    const jsonl = join(dir, 'floats.jsonl');
    writeRowsFile(jsonl, 'jsonl', [{ index: 0, rows: table }]);
    expect(readFileSync(jsonl, 'utf8')).toBe('{"2":3.0,"x":1e-05,"n":3}\n{"2":0.5,"x":1e+16,"n":null}\n');
  });

  it('parquet: column names and types kept across mini-batches, nulls, misfits left out, rows in order', async () => {
    const file = join(dir, 'out.parquet');
    const result = writeRowsFile(file, 'parquet', [
      { index: 0, rows: { kind: 'table', columns: ['id', 'score', 'ok', 'name'], values: [[1, 1, true, 'a'], [2, null, false, null]], dtypes: ['int', 'float', 'bool', 'string'] } },
      { index: 1, rows: { kind: 'table', columns: ['other'], values: [[9]], dtypes: ['int'] } },
      // A later mini-batch whose `id` column came out as floats: the file's column is floats.
      { index: 2, rows: { kind: 'table', columns: ['id', 'score', 'ok', 'name'], values: [[3.5, 2.25, true, 'c']], dtypes: ['float', 'float', 'bool', 'string'] } },
      // Rows committed without dtypes: the kinds come from the cells.
      { index: 3, rows: { kind: 'table', columns: ['id', 'score', 'ok', 'name'], values: [[4, 3, null, 'd']] } },
    ]);
    expect(result.misfits).toEqual([{ index: 1, columns: ['other'] }]);
    expect(result.rows).toBe(4);
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    expect(metadata.schema.slice(1).map((e) => [e.name, e.type])).toEqual([
      ['id', 'DOUBLE'],
      ['score', 'DOUBLE'],
      ['ok', 'BOOLEAN'],
      ['name', 'BYTE_ARRAY'],
    ]);
    expect(await parquetReadObjects({ file: buffer })).toEqual([
      { id: 1, score: 1, ok: true, name: 'a' },
      { id: 2, score: null, ok: false, name: null },
      { id: 3.5, score: 2.25, ok: true, name: 'c' },
      { id: 4, score: 3, ok: null, name: 'd' },
    ]);
  });

  it('parquet: integer columns are INT64; row groups are written as they fill (many rows, several groups)', async () => {
    const file = join(dir, 'many.parquet');
    const batches = Array.from({ length: 30 }, (_, b) => ({
      index: b,
      rows: { kind: 'table' as const, columns: ['n', 'label'], values: Array.from({ length: 100 }, (_, i) => [b * 100 + i, `r${i}`]), dtypes: ['int' as const, 'string' as const] },
    }));
    // 1,000 cells a group: a group is written every 5 mini-batches.
    expect(writeParquetRows(file, batches, 1000).rows).toBe(3000);
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    expect(metadata.schema[1]?.type).toBe('INT64');
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([500, 500, 500, 500, 500, 500]);
    const n = (await parquetReadObjects({ file: buffer, columns: ['n'] })).map((r) => r['n'] as unknown);
    expect(n.length).toBe(3000);
    expect(n.every((v, i) => v === BigInt(i))).toBe(true);
  });
});
