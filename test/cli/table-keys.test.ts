/**
 * Partition keys over a table's columns, and the rest of what an MLTable says of a table (skip,
 * take, header modes, a partition format as columns), end to end (docs/TABULAR.md): the built CLI,
 * real pandas (`/usr/bin/python3`), real files; assertions on the rows a user gets.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../data/tree.js';
import { cli, expectExit } from '../run/helpers.js';
import { debianPythonHas } from '../helpers/python.js';
import { tableJob as makeTableJob, type TableJob } from '../helpers/table-job.js';

const PANDAS_PYTHON = '/usr/bin/python3';

const pandas = debianPythonHas(['pandas'], 'python3-pandas');

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('minibatch-table-keys-');
});
afterAll(() => tmp.cleanup());

/** A module whose entry is `entry` (a fixture), a `data` folder holding `files`, bound as `Data`. */
function tableJob(name: string, entry: string, files: Readonly<Record<string, string | Buffer>>): TableJob {
  return makeTableJob(tmp.dir, name, entry, files, ['--output-action', 'append_row']);
}

interface Row {
  readonly store: number;
  readonly brand: string;
  readonly id: number;
  readonly name: string;
}

/** A CSV of `rows`; every fifth name is quoted and holds a line break. */
function csvOf(rows: readonly Row[]): string {
  const name = (r: Row): string => (r.id % 5 === 0 ? `"n${r.id}\nsecond ""line"""` : `n${r.id}`);
  return `Store,Brand,id,name\n${rows.map((r) => `${r.store},${r.brand},${r.id},${name(r)}`).join('\n')}\n`;
}

/** What table_keys.py returns for `rows` grouped by Store and Brand: groups sorted (Store as a number), rows in file order. */
function expectedByKeys(rows: readonly Row[]): string[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const id = `${r.store}/${r.brand}`;
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const sorted = [...groups.values()].sort((a, b) => (a[0] as Row).store - (b[0] as Row).store || ((a[0] as Row).brand < (b[0] as Row).brand ? -1 : 1));
  return sorted.flatMap((group, index) =>
    group.map((r) => {
      const name = r.id % 5 === 0 ? `n${r.id}\nsecond "line"` : `n${r.id}`;
      return `${index} ${JSON.stringify({ Brand: r.brand, Store: r.store })} ${JSON.stringify([String(r.store), r.brand, String(r.id), name])}`;
    }),
  );
}

// Two files whose key values interleave row by row (8 combinations in a.csv, 50 rows each: more
// ranges than planning keeps, so they merge and the worker filters), and a combination only in b.csv.
const A_ROWS: Row[] = Array.from({ length: 400 }, (_, i) => ({ store: [3, 10, 2, 1][i % 4] as number, brand: i % 8 < 4 ? 'a' : 'b', id: i, name: '' }));
const B_ROWS: Row[] = Array.from({ length: 30 }, (_, i) => ({ store: [10, 12, 1][i % 3] as number, brand: 'a', id: 1000 + i, name: '' }));
const KEYED = { 'a.csv': csvOf(A_ROWS), 'b.csv': csvOf(B_ROWS) };

describe.skipIf(!pandas)('partition keys over a table (real pandas)', { concurrent: true }, () => {
  it("two CSV files with interleaved keys: one mini-batch per combination, sorted by value, each holding that combination's rows from both files in file order", async () => {
    const job = tableJob('interleaved', 'table_keys', KEYED);
    const r = await cli(job.args(['--input-format', 'Data=csv', '--partition-keys', 'Store,Brand']));
    expectExit(r, 0);
    // a.csv: stores 1, 2, 3, 10 × brands a, b; b.csv adds (12, a). A combination is one item, as on Azure.
    expect(r.stdout).toContain('mini-batches  9 succeeded, 0 partial, 0 failed, 0 not run (of 9)');
    expect(r.stdout).toContain('items         9 succeeded, 0 failed (of 9)');
    expect(job.rows().join('\n')).toBe(expectedByKeys([...A_ROWS, ...B_ROWS]).join('\n'));
  });

  it('explain shows the combinations; a key that is not a column, or keys over UTF-16, are refused before anything runs: exit 2, naming the key, the input and its columns', async () => {
    const job = tableJob('missing-key', 'table_keys', KEYED);
    const explained = await cli(['explain', join(job.root, 'module', 'module.yaml'), '--input', `Data=${job.data}`, '--python', PANDAS_PYTHON, '--input-format', 'Data=csv', '--partition-keys', 'Store,Brand']);
    expectExit(explained, 0);
    expect(explained.stdout).toContain('table: csv, header in every file, quoted line breaks honoured; one mini-batch per combination of Store, Brand');
    expect(explained.stdout).toContain('9 items in 9 mini-batches');
    expect(explained.stdout).toMatch(/mini-batch 0 {2}Data {2}60 rows {2}a\.csv bytes \d+-\d+, .*b\.csv bytes \d+-\d+/);
    const r = await cli(job.args(['--input-format', 'Data=csv', '--partition-keys', 'Store,Brnd']));
    expectExit(r, 2);
    expect(r.stderr).toContain(`partition key \`Brnd\` is not a column of input \`Data\` (${join(job.data, 'a.csv')}): its columns are \`Store\`, \`Brand\`, \`id\`, \`name\``);
    expect(existsSync(job.runDir)).toBe(false);
    // Keys are read from the records' bytes as one-byte text: UTF-16 is refused, not misread.
    const wide = await cli(job.args(['--input-format', 'Data=csv,encoding=utf16', '--partition-keys', 'Store,Brand']));
    expectExit(wide, 2);
    expect(wide.stderr).toContain("input `Data` is read with encoding: utf16, which partition keys over a table's columns do not support");
    expect(existsSync(job.runDir)).toBe(false);
  });

  it('a run killed with SIGKILL mid-run resumes with keys: every row exactly once, grouped and in order', async () => {
    const job = tableJob('resume', 'table_keys', KEYED);
    const args = job.args(['--input-format', 'Data=csv', '--partition-keys', 'Store,Brand']);
    expectExit(await cli(args, { MINIBATCH_TEST_KILL_AT: 'committed:3' }), 'SIGKILL');
    const resumed = await cli(['resume', job.runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(resumed.stdout).toContain('resuming:');
    expect(resumed.stdout).toContain('(of 9)');
    expect(job.rows().join('\n')).toBe(expectedByKeys([...A_ROWS, ...B_ROWS]).join('\n'));
  });

  it('JSON Lines keys keep their JSON types; mini_batch_context.dataset stands for the rows, with a readable repr', async () => {
    const lines = [
      { shop: 2, ok: true, v: 1.5 },
      { shop: 1, ok: false, v: 2.5 },
      { shop: 2, ok: true, v: 3.5 },
      { shop: 1, ok: true, v: 4.5 },
    ].map((o) => JSON.stringify(o));
    const job = tableJob('jsonl', 'table_repr', { 'x.jsonl': `${lines.join('\n')}\n`, 'y.jsonl': `${JSON.stringify({ shop: 1, ok: false, v: 9 })}\n` });
    const r = await cli(job.args(['--input-format', 'Data=jsonl', '--partition-keys', 'shop,ok']));
    expectExit(r, 0);
    expect([...new Set(job.rows())]).toEqual([
      "TabularDataset(partition_key_value={'shop': 1, 'ok': False}, rows=2, columns=['shop', 'ok', 'v'], files=['x.jsonl', 'y.jsonl']) | shop:int64 ok:bool v:float64",
      "TabularDataset(partition_key_value={'shop': 1, 'ok': True}, rows=1, columns=['shop', 'ok', 'v'], files=['x.jsonl']) | shop:int64 ok:bool v:float64",
      "TabularDataset(partition_key_value={'shop': 2, 'ok': True}, rows=2, columns=['shop', 'ok', 'v'], files=['x.jsonl']) | shop:int64 ok:bool v:float64",
    ]);
    expect(job.rows()).toHaveLength(5);
  });

  it('Parquet: keys over two files with interleaved values, several row groups, decoded without pyarrow', async () => {
    const job = tableJob('parquet', 'table_keys', {});
    const all: { shop: number; tag: string; n: number }[] = [];
    for (const f of [0, 1]) {
      // 90 rows in row groups of 16: shop cycles 3, 1, 2 (both files); tag a/b by row; shop 5 only in file 1.
      const rows = Array.from({ length: 90 }, (_, i) => ({ shop: f === 1 && i % 10 === 0 ? 5 : [3, 1, 2][i % 3] as number, tag: i % 2 === 0 ? 'a' : 'b', n: f * 1000 + i }));
      all.push(...rows);
      parquetWriteFile({
        filename: join(job.data, `part-${f}.parquet`),
        rowGroupSize: 16,
        columnData: [
          { name: 'shop', data: Int32Array.from(rows.map((r) => r.shop)), type: 'INT32' },
          { name: 'tag', data: rows.map((r) => r.tag), type: 'STRING' },
          { name: 'n', data: Int32Array.from(rows.map((r) => r.n)), type: 'INT32' },
        ],
      });
    }
    const r = await cli(job.args(['--input-format', 'Data=parquet', '--partition-keys', 'shop,tag']));
    expectExit(r, 0);
    const groups = new Map<string, typeof all>();
    for (const row of all) groups.set(`${row.shop}/${row.tag}`, [...(groups.get(`${row.shop}/${row.tag}`) ?? []), row]);
    const expected = [...groups.values()]
      .sort((a, b) => (a[0]?.shop ?? 0) - (b[0]?.shop ?? 0) || ((a[0]?.tag ?? '') < (b[0]?.tag ?? '') ? -1 : 1))
      .flatMap((g, index) => g.map((row) => `${index} ${JSON.stringify({ shop: row.shop, tag: row.tag })} ${JSON.stringify([String(row.shop), row.tag, String(row.n)])}`));
    expect(job.rows()).toEqual(expected);
  });

  it('without keys, mini_batch_context.dataset of a table gives the mini-batch rows', async () => {
    const job = tableJob('dataset', 'table_repr', { 'a.csv': 'x,y\n1,a\n2,b\n3,c\n' });
    const r = await cli(job.args(['--input-format', 'Data=csv', '--mini-batch-size', '2rows']));
    expectExit(r, 0);
    expect([...new Set(job.rows())]).toEqual([
      "TabularDataset(rows=2, columns=['x', 'y'], files=['a.csv']) | x:int64 y:object",
      "TabularDataset(rows=1, columns=['x', 'y'], files=['a.csv']) | x:int64 y:object",
    ]);
  });
});

describe.skipIf(!pandas)("what an MLTable says of a table (real pandas)", { concurrent: true }, () => {
  it('skip and take count rows over the whole table in file order; header from_first_file; the partition format adds columns', async () => {
    const job = tableJob('skip-take', 'table_echo', {
      'MLTable':
        "paths:\n  - pattern: ./*/*.csv\ntransformations:\n  - read_delimited: {header: from_first_file}\n" +
        "  - extract_columns_from_partition_format: '{store}/*.csv'\n  - skip: 2\n  - take: 4\n",
      // Only the first file has a header: the others' first lines are rows.
      's1/a.csv': 'id,v\n1,a\n2,b\n3,c\n',
      's2/b.csv': '4,d\n5,e\n',
      's3/c.csv': '6,f\n7,g\n',
    });
    const r = await cli(job.args(['--mini-batch-size', '2rows', '--append-row-format', 'jsonl']));
    expectExit(r, 0);
    expect(job.rows().map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: 3, v: 'c', store: 's1' },
      { id: 4, v: 'd', store: 's2' },
      { id: 5, v: 'e', store: 's2' },
      { id: 6, v: 'f', store: 's3' },
    ]);
    // Rows 3 | 4 5 | 6: a mini-batch never crosses a file.
    expect(r.stdout).toContain('(of 3)');
  });

  it("column steps apply in the MLTable's order: Path from the read, keep_columns before the partition format's columns, drop_columns of both after, then a type", async () => {
    const job = tableJob('step-order', 'table_echo', {
      'MLTable':
        "paths:\n  - pattern: ./*/*.csv\ntransformations:\n  - read_delimited: {include_path_column: true}\n  - keep_columns: [id, v, Path]\n" +
        "  - extract_columns_from_partition_format: '{store}/{file}.csv'\n  - drop_columns: [Path, file]\n" +
        '  - convert_column_types:\n      - columns: [store]\n        column_type: int\n',
      '1/a.csv': 'id,v,extra\n1,a,x\n',
      '2/b.csv': 'id,v,extra\n2,b,y\n',
    });
    const r = await cli(job.args(['--append-row-format', 'jsonl']));
    expectExit(r, 0);
    expect(job.rows().map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: 1, v: 'a', store: 1 },
      { id: 2, v: 'b', store: 2 },
    ]);
  });

  it('partition keys from the partition format and a column together; all_files_different_headers reads each file by its own header', async () => {
    const job = tableJob('path-keys', 'table_keys', {
      'MLTable':
        "paths:\n  - pattern: ./**/*.csv\ntransformations:\n  - read_delimited: {header: all_files_different_headers}\n" +
        "  - extract_columns_from_partition_format: '{Store}/*.csv'\n",
      '2/a.csv': 'Brand,id\nx,1\ny,2\nx,3\n',
      '1/b.csv': 'id,Brand\n4,y\n5,x\n',
    });
    const r = await cli(job.args(['--partition-keys', 'Store,Brand']));
    expectExit(r, 0);
    // Listing order: 1/b.csv, then 2/a.csv. Columns as each file has them, then Store from the path.
    expect(job.rows()).toEqual([
      '0 {"Brand":"x","Store":"1"} ["5","x","1"]',
      '1 {"Brand":"y","Store":"1"} ["4","y","1"]',
      '2 {"Brand":"x","Store":"2"} ["x","1","2"]',
      '2 {"Brand":"x","Store":"2"} ["x","3","2"]',
      '3 {"Brand":"y","Store":"2"} ["y","2","2"]',
    ]);
  });

  it('no_header: the keys are column numbers', async () => {
    const job = tableJob('no-header', 'table_keys', { 'a.txt': 'b|1\na|2\nb|3\n' });
    const r = await cli(job.args(['--input-format', 'Data=csv,delimiter=pipe,header=no_header', '--partition-keys', '0']));
    expectExit(r, 0);
    expect(job.rows()).toEqual(['0 {"0":"a"} ["a","2"]', '1 {"0":"b"} ["b","1"]', '1 {"0":"b"} ["b","3"]']);
  });
});

describe('tables: what an MLTable says, refused before anything runs', () => {
  it('a listed file that does not fit the partition format of a table: exit 2 at the format, naming the file', async () => {
    const job = tableJob('misfit', 'table_echo', {
      'MLTable': "paths:\n  - pattern: ./**/*.csv\ntransformations:\n  - read_delimited: {}\n  - extract_columns_from_partition_format: '{store}/{day}/*.csv'\n",
      's1/d1/a.csv': 'x\n1\n',
      's1/b.csv': 'x\n2\n',
    });
    const r = await cli(job.args([]));
    expectExit(r, 2);
    expect(r.stderr).toContain(
      `${join(job.data, 'MLTable')}:5:44: input \`Data\`: ${join(job.data, 's1/b.csv')} does not fit the partition format \`{store}/{day}/*.csv\`, so its rows would lack the columns \`store\`, \`day\``,
    );
    expect(existsSync(job.runDir)).toBe(false);
  });
});
