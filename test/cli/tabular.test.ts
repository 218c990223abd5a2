/**
 * Tables end to end (docs/TABULAR.md): the built CLI, real pandas (Debian's, `/usr/bin/python3`),
 * real files with the awkward cases of CSV; assertions on the rows a user gets, the exit codes and
 * the messages.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../data/tree.js';
import { cli, expectExit } from '../run/helpers.js';

const PANDAS_PYTHON = '/usr/bin/python3';
import { debianPythonHas } from '../helpers/python.js';
import { tableJob as makeTableJob, type TableJob } from '../helpers/table-job.js';
const COMPARE = fileURLToPath(new URL('../fixtures/tables/compare.py', import.meta.url));

const pandas = debianPythonHas(['pandas'], 'python3-pandas');

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('minibatch-tabular-');
});
afterAll(() => tmp.cleanup());

/** A module whose entry is `entry` (a fixture), a `data` folder holding `files`, bound as `Data`. */
function tableJob(name: string, entry: string, files: Readonly<Record<string, string | Buffer>>): TableJob {
  return makeTableJob(tmp.dir, name, entry, files);
}

/** What compare.py says of the jsonl rows file against pandas reading the whole files. */
function compareWithPandas(job: TableJob, kind: 'csv' | 'jsonl', files: readonly string[]): string {
  const out = join(job.out, 'parallel_run_step.txt');
  return execFileSync(PANDAS_PYTHON, [COMPARE, out, kind, ...files.map((f) => join(job.data, f))], { encoding: 'utf8' }).trim();
}

const EDGE_CASES: Record<string, string | Buffer> = {
  // A BOM, CRLF line ends, a quoted field with a line break and doubled quotes, a blank line, no final line break.
  'a.csv': Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from('id,name,score\r\n1,"two\r\nlines",1.5\r\n2,"say ""hi""",2.5\r\n\r\n3,plain,\r\n4,last,4.25'),
  ]),
  'b-header-only.csv': 'id,name,score\n',
  'c-empty.csv': '',
  // A row far wider than the mini-batch size.
  'd-wide.csv': `id,name,score\n5,${'w'.repeat(300)},5.5\n6,"short, quoted",6.5\n`,
  'e.csv': `id,name,score\n${Array.from({ length: 20 }, (_, i) => `${i + 7},n${i},${i / 4}`).join('\n')}\n`,
};

describe.skipIf(!pandas)('tables (real pandas)', { concurrent: true }, () => {
  it('a CSV folder with every awkward case reads as pandas reads each whole file, cut into 40-byte mini-batches', async () => {
    const job = tableJob('edge', 'table_echo', EDGE_CASES);
    const r = await cli(job.args(['--input-format', 'Data=csv', '--mini-batch-size', '40', '--output-action', 'append_row', '--append-row-format', 'jsonl']));
    expectExit(r, 0);
    expect(r.stdout).toContain('items         26 succeeded, 0 failed (of 26)');
    // 40 bytes: a.csv in 2 (20 + 20 bytes; the blank line is left out, then 10 + 11), d-wide.csv in 2 (its
    // wide row alone), e.csv (207 bytes) in 6; the header-only and the empty file in none.
    expect(r.stdout).toContain('mini-batches  10 succeeded, 0 partial, 0 failed, 0 not run (of 10)');
    expect(compareWithPandas(job, 'csv', Object.keys(EDGE_CASES))).toBe('same 26');
  });

  it('each mini-batch is a DataFrame with pandas dtypes and its own index; N rows per mini-batch with `Nrows`', async () => {
    const job = tableJob('dtypes', 'table_dtypes', { 'e.csv': EDGE_CASES['e.csv'] ?? '' });
    const r = await cli(job.args(['--input-format', 'Data=csv', '--mini-batch-size', '8rows', '--output-action', 'append_row']));
    expectExit(r, 0);
    const lines = readFileSync(join(job.out, 'parallel_run_step.txt'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(20);
    expect([...new Set(lines)]).toEqual([
      '0 DataFrame 0-7 id:int64 name:object score:float64',
      '1 DataFrame 0-7 id:int64 name:object score:float64',
      '2 DataFrame 0-3 id:int64 name:object score:float64',
    ]);
  });

  it('JSON Lines, tsv with options, include_path_column, and txt rows of a DataFrame (space-separated, no header)', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ id: i, text: `t ${i}`, ok: i % 2 === 0 }));
    const job = tableJob('jsonl', 'table_echo', { 'rows.jsonl': `${lines.join('\n')}\n` });
    const r = await cli(job.args(['--input-format', 'Data=jsonl', '--mini-batch-size', '3rows', '--output-action', 'append_row', '--append-row-format', 'jsonl']));
    expectExit(r, 0);
    expect(r.stdout).toContain('(of 4)');
    expect(compareWithPandas(job, 'jsonl', ['rows.jsonl'])).toBe('same 10');

    const tsv = tableJob('tsv', 'table_echo', { 'x.txt': 'a;b\n1;x y\n2;z\n' });
    const t = await cli(tsv.args(['--input-format', 'Data=csv,delimiter=semicolon,include_path_column=true', '--output-action', 'append_row']));
    expectExit(t, 0);
    const path = join(tsv.data, 'x.txt');
    expect(readFileSync(join(tsv.out, 'parallel_run_step.txt'), 'utf8')).toBe(`1 x y ${path}\n2 z ${path}\n`);
  });

  it('Parquet (snappy, gzip, uncompressed; several row groups) is cut on row groups and decoded without pyarrow', async () => {
    const job = tableJob('parquet', 'table_echo', {});
    const ids = Array.from({ length: 10 }, (_, i) => i);
    const expected: { id: number; price: number | null; name: string }[] = [];
    for (const [f, codec] of (['SNAPPY', 'GZIP', 'UNCOMPRESSED'] as const).entries()) {
      const rows = ids.map((i) => ({ id: f * 100 + i, price: i === 3 ? null : i / 2, name: `n ${f} ${i}` }));
      expected.push(...rows);
      parquetWriteFile({
        filename: join(job.data, `part-${f}.parquet`),
        codec,
        compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) },
        rowGroupSize: 4,
        columnData: [
          { name: 'id', data: Int32Array.from(rows.map((r) => r.id)), type: 'INT32' },
          { name: 'price', data: rows.map((r) => r.price), type: 'DOUBLE', nullable: true },
          { name: 'name', data: rows.map((r) => r.name), type: 'STRING' },
        ],
      });
    }
    const r = await cli(job.args(['--input-format', 'Data=parquet', '--mini-batch-size', '3rows', '--output-action', 'append_row', '--append-row-format', 'jsonl']));
    expectExit(r, 0);
    // Row groups of 4, 4, 2 rows cut into 3 rows at most: 2 + 2 + 1 mini-batches a file.
    expect(r.stdout).toContain('mini-batches  15 succeeded, 0 partial, 0 failed, 0 not run (of 15)');
    const got = readFileSync(join(job.out, 'parallel_run_step.txt'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(got).toEqual(expected);
  });

  it('UTF-16 and UTF-32 files (either byte order, with or without a BOM) read as pandas reads them, cut on whole code units', async () => {
    // U+010A is `0A 01` in UTF-16LE, U+0A0A `0A 0A`: bytes 0x0A that are no line break.
    const text = `id,name,score\r\n${Array.from({ length: 12 }, (_, i) => (i % 4 === 0 ? `${i},"Ċ\r\nਊ 😀",${i / 2}` : `${i},${'Ċ'.repeat(i)}é,${i / 2}`)).join('\r\n')}\r\n`;
    const utf32 = (t: string, bigEndian: boolean): Buffer => {
      const points = Array.from(t, (c) => c.codePointAt(0) ?? 0);
      const out = Buffer.alloc(points.length * 4);
      points.forEach((p, i) => (bigEndian ? out.writeUInt32BE(p, i * 4) : out.writeUInt32LE(p, i * 4)));
      return out;
    };
    const wide16 = tableJob('utf16', 'table_echo', {
      'a-le-bom.csv': Buffer.from(`\ufeff${text}`, 'utf16le'),
      'b-be-bom.csv': Buffer.from(`\ufeff${text}`, 'utf16le').swap16(),
      'c-le.csv': Buffer.from(text, 'utf16le'),
    });
    const wide32 = tableJob('utf32', 'table_echo', { 'a-be-bom.csv': utf32(`\ufeff${text}`, true), 'b-le.csv': utf32(text, false) });
    const run = (job: TableJob, encoding: string): ReturnType<typeof cli> =>
      cli(job.args(['--input-format', `Data=csv,encoding=${encoding}`, '--mini-batch-size', '100', '--output-action', 'append_row', '--append-row-format', 'jsonl']));
    const [r16, r32] = await Promise.all([run(wide16, 'utf16'), run(wide32, 'utf32')]);
    expectExit(r16, 0);
    expectExit(r32, 0);
    expect(compareWithPandas(wide16, 'csv', ['a-le-bom.csv::utf-16', 'b-be-bom.csv::utf-16', 'c-le.csv::utf-16-le'])).toBe('same 36');
    expect(compareWithPandas(wide32, 'csv', ['a-be-bom.csv::utf-32', 'b-le.csv::utf-32-le'])).toBe('same 24');
  });

  it('a run killed with SIGKILL mid-run resumes on a table: every row exactly once, in order', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `${i},row ${i},${i * 2}`);
    const job = tableJob('resume', 'table_echo', { 'big.csv': `id,name,double\n${rows.join('\n')}\n` });
    const args = job.args(['--input-format', 'Data=csv', '--mini-batch-size', '1KB', '--output-action', 'append_row', '--append-row-format', 'csv']);
    expectExit(await cli(args, { MINIBATCH_TEST_KILL_AT: 'committed:4' }), 'SIGKILL');
    const resumed = await cli(['resume', job.runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(resumed.stdout).toContain('resuming:');
    expect(readFileSync(join(job.out, 'parallel_run_step.txt'), 'utf8')).toBe(`id,name,double\n${rows.join('\n')}\n`);
  });

  it('append_row parquet: column names and types kept, index dropped; after SIGKILL and resume every row exactly once, in order', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `${i},row ${i},${i % 7 === 0 ? '' : i / 4},${i % 2 === 0 ? 'True' : 'False'}`);
    const job = tableJob('parquet-out', 'table_echo', { 'big.csv': `id,name,score,even\n${rows.join('\n')}\n` });
    const args = job.args(['--input-format', 'Data=csv', '--mini-batch-size', '1KB', '--output-action', 'append_row', '--append-row-format', 'parquet']);
    expectExit(await cli(args, { MINIBATCH_TEST_KILL_AT: 'committed:4' }), 'SIGKILL');
    const resumed = await cli(['resume', job.runDir, '--no-progress']);
    expectExit(resumed, 0);
    const file = await asyncBufferFromFile(join(job.out, 'parallel_run_step.parquet'));
    const metadata = await parquetMetadataAsync(file);
    expect(metadata.schema.slice(1).map((e) => `${e.name}:${e.type}`)).toEqual(['id:INT64', 'name:BYTE_ARRAY', 'score:DOUBLE', 'even:BOOLEAN']);
    const got = await parquetReadObjects({ file });
    expect(got).toEqual(
      Array.from({ length: 400 }, (_, i) => ({ id: BigInt(i), name: `row ${i}`, score: i % 7 === 0 ? null : i / 4, even: i % 2 === 0 })),
    );
  });

  it('resume after a table file changed: its old mini-batches and rows go, its rows now run again at the end', async () => {
    const rows = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `${from + i},r${from + i}`);
    const job = tableJob('changed', 'table_echo', { 'a.csv': `id,name\n${rows(0, 50).join('\n')}\n`, 'b.csv': `id,name\n${rows(50, 60).join('\n')}\n` });
    const args = job.args(['--input-format', 'Data=csv', '--mini-batch-size', '20rows', '--output-action', 'append_row', '--append-row-format', 'csv']);
    expectExit(await cli(args, { MINIBATCH_TEST_KILL_AT: 'scheduled' }), 'SIGKILL');
    writeFileSync(join(job.data, 'a.csv'), `id,name\n${rows(0, 51).join('\n')}\n`);
    const resumed = await cli(['resume', job.runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(resumed.stdout).toContain('inputs changed since the run was planned: 1 file changed (3 mini-batches will run again)');
    expect(readFileSync(join(job.out, 'parallel_run_step.txt'), 'utf8')).toBe(`id,name\n${[...rows(50, 60), ...rows(0, 51)].join('\n')}\n`);
  });

  it('explain shows how each input is read and its first mini-batches as byte ranges', async () => {
    const job = tableJob('explain', 'table_echo', { 'e.csv': EDGE_CASES['e.csv'] ?? '' });
    const spec = join(job.root, 'module', 'module.yaml');
    const r = await cli(['explain', spec, '--input', `Data=${job.data}`, '--python', PANDAS_PYTHON, '--input-format', 'Data=csv', '--mini-batch-size', '10rows']);
    expectExit(r, 0);
    expect(r.stdout).toContain(`Data  ${job.data}  table: csv, header in every file, quoted line breaks honoured; mini-batches of 10 rows`);
    expect(r.stdout).toContain('20 items in 2 mini-batches');
    expect(r.stdout).toMatch(/mini-batch 0 {2}Data {2}10 rows {2}e\.csv bytes 14-\d+/);
  });
});

describe('tables: refused before anything runs', () => {
  it('a byte size on a file dataset, a format for an input that is not data, an unknown option: exit 2, named', async () => {
    const job = tableJob('refused', 'table_echo', { 'a.csv': 'x\n1\n' });
    const size = await cli(job.args(['--mini-batch-size', '1KB']));
    expectExit(size, 2);
    expect(size.stderr).toContain('miniBatchSize 1024 bytes is a size, which applies to tabular data; input `Data` is files');
    expect(size.stderr).toContain("--input-format 'Data=csv'");
    expect(existsSync(job.runDir)).toBe(false);

    const jobFile = join(job.root, 'job.yaml');
    writeFileSync(jobFile, `module: ./module/module.yaml\ninputs: {Data: ./data}\nsettings: {miniBatchSize: 10KB}\n`);
    const validate = await cli(['validate', jobFile]);
    expectExit(validate, 2);
    expect(validate.stderr).toContain('miniBatchSize 10240 bytes is a size, which applies to tabular data; input `Data` is files');
    writeFileSync(jobFile, `module: ./module/module.yaml\ninputs: {Data: ./data}\nsettings: {miniBatchSize: 10KB, inputFormat: {Data: csv}}\n`);
    expectExit(await cli(['validate', jobFile]), 0);

    const name = await cli(job.args(['--input-format', 'Dta=csv']));
    expectExit(name, 2);
    expect(name.stderr).toContain('inputFormat names `Dta`, which is not one of the dataset\'s inputs (did you mean `Data`?)');

    const option = await cli(job.args(['--input-format', 'Data=jsonl,delimiter=;']));
    expectExit(option, 2);
    expect(option.stderr).toContain('--input-format `Data` has the option `delimiter`, which jsonl does not take');
  });

  it.skipIf(!pandas)('an interpreter without pandas is refused before the run starts, named, with --python', async () => {
    const job = tableJob('no-pandas', 'table_echo', { 'a.csv': 'x\n1\n' });
    // A `pandas` that fails to import, first on the path: as an interpreter without it behaves.
    const broken = join(job.root, 'broken');
    mkdirSync(join(broken, 'pandas'), { recursive: true });
    writeFileSync(join(broken, 'pandas', '__init__.py'), "raise ModuleNotFoundError(\"No module named 'pandas'\")\n");
    const r = await cli(job.args(['--input-format', 'Data=csv']), { PYTHONPATH: broken });
    expectExit(r, 3);
    expect(r.stderr).toContain(`tabular data needs pandas, but \`import pandas\` fails with ${PANDAS_PYTHON}`);
    expect(r.stderr).toContain('or name one that has it with --python');
    expect(existsSync(join(job.runDir, 'state.db'))).toBe(false);
  });
});
