/**
 * An input bound to an MLTable (docs/MLTABLE.md): read as Azure reads it. Without a read transformation it
 * is a file dataset of exactly the files its paths list; remote paths and transformations minibatch
 * does not honour are refused at their file:line:col, never skipped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecError } from '../../../src/core/errors.js';
import { planFiles } from '../../../src/data/plan.js';
import { findMLTable } from '../../../src/data/mltable/find.js';
import { loadMLTable } from '../../../src/data/mltable/load.js';
import { collect, tempDir, writeTree } from '../tree.js';

let tmp: { dir: string; cleanup: () => void };
let n = 0;
beforeAll(() => {
  tmp = tempDir('minibatch-mltable-');
});
afterAll(() => tmp.cleanup());

/** A folder holding `files` and an MLTable with `mltable` as its text; returns the folder. */
function folder(mltable: string, files: Readonly<Record<string, string>> = {}): string {
  const dir = join(tmp.dir, `t${n++}`);
  writeTree(dir, files);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'MLTable'), mltable);
  return dir;
}

/** The files the MLTable in `dir` lists, relative to `dir`. */
async function listed(dir: string): Promise<string[]> {
  const { source } = await loadMLTable(join(dir, 'MLTable'));
  return source.files.map((f) => f.slice(dir.length + 1));
}

/** The message of the SpecError that loading the MLTable in `dir` throws. */
async function refusal(dir: string): Promise<string> {
  const error: unknown = await loadMLTable(join(dir, 'MLTable')).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SpecError);
  expect((error as SpecError).code).toBe('MLTABLE_INVALID');
  expect((error as SpecError).exitCode).toBe(2);
  return (error as SpecError).message;
}

const DATA = {
  'a.csv': 'a',
  'b.csv': 'b',
  'b.txt': 'b',
  'c1.csv': 'c1',
  'cx.csv': 'cx',
  '.hidden.csv': 'h',
  'sub/d.csv': 'd',
  'sub/deep/e.csv': 'e',
  'other/f.csv': 'f',
};

describe('an MLTable without a read transformation is a file dataset of exactly the files it lists', () => {
  it('file, folder and pattern entries, in the order written, each folder in listing order; the MLTable itself is no item', async () => {
    const dir = folder('paths:\n  - file: ./b.txt\n  - folder: ./sub\n  - pattern: ./*.csv\n', DATA);
    expect(await listed(dir)).toEqual(['b.txt', 'sub/d.csv', 'sub/deep/e.csv', 'a.csv', 'b.csv', 'c1.csv', 'cx.csv']);
    // `folder: .` covers the MLTable file too, which is never data.
    expect(await listed(folder('paths:\n  - folder: .\n', { 'x.bin': 'x' }))).toEqual(['x.bin']);
  });

  it('globs: * within a folder, ** across folders, ? one character, [a-z] a class; a file listed twice counts once', async () => {
    const dir = folder(
      'paths:\n  - pattern: "**/*.csv"\n  - pattern: ./c?.csv\n  - pattern: ./c[0-9].csv\n  - pattern: "sub/**"\n',
      DATA,
    );
    expect(await listed(dir)).toEqual(['a.csv', 'b.csv', 'c1.csv', 'cx.csv', 'other/f.csv', 'sub/d.csv', 'sub/deep/e.csv']);
    expect(await listed(folder('paths:\n  - pattern: ./c?.csv\n', DATA))).toEqual(['c1.csv', 'cx.csv']);
    expect(await listed(folder('paths:\n  - pattern: ./c[0-9].csv\n', DATA))).toEqual(['c1.csv']);
    expect(await listed(folder('paths:\n  - pattern: ./[a-b].*\n', DATA))).toEqual(['a.csv', 'b.csv', 'b.txt']);
  });

  it('skip and take count files, as the rows of a file MLTable are its files', async () => {
    const dir = folder('paths:\n  - pattern: ./*.csv\ntransformations:\n  - skip: 1\n  - take: 2\n', DATA);
    expect(await listed(dir)).toEqual(['b.csv', 'c1.csv']);
  });

  it('an input bound to the folder or to the MLTable file itself; a folder without one is plain data', () => {
    const dir = folder('paths:\n  - file: a.csv\n', DATA);
    expect(findMLTable(dir)).toBe(join(dir, 'MLTable'));
    expect(findMLTable(join(dir, 'MLTable'))).toBe(join(dir, 'MLTable'));
    expect(findMLTable(join(dir, 'sub'))).toBeNull();
    expect(findMLTable(join(dir, 'a.csv'))).toBeNull();
  });

  it('plans exactly the listed files, relative to the MLTable folder', async () => {
    const dir = folder('paths:\n  - pattern: ./**/*.csv\n', DATA);
    const { source } = await loadMLTable(join(dir, 'MLTable'));
    const plan = await collect(planFiles([{ name: 'Data', path: dir, files: source.files }], 3, null));
    expect(plan.map((b) => b.items.map((i) => i.rel))).toEqual([
      ['a.csv', 'b.csv', 'c1.csv'],
      ['cx.csv', 'other/f.csv', 'sub/d.csv'],
      ['sub/deep/e.csv'],
    ]);
    expect(plan[0]?.items[0]?.path).toBe(join(dir, 'a.csv'));
  });
});

describe('what minibatch does not read is refused at its file:line:col', () => {
  it('remote paths, naming the scheme and what to do', async () => {
    const dir = folder(
      'paths:\n  - file: ./a.csv\n  - folder: azureml://subscriptions/s/datastores/d/paths/x\n  - pattern: https://example.com/*.csv\n' +
        '  - file: wasbs://c@acct.blob.core.windows.net/x.csv\n  - folder: abfss://fs@acct.dfs.core.windows.net/p/\n',
      DATA,
    );
    const message = await refusal(dir);
    const file = join(dir, 'MLTable');
    expect(message).toContain(`${file}:3:13: folder \`azureml://subscriptions/s/datastores/d/paths/x\` is a remote path (azureml://), which minibatch does not read: download the data`);
    expect(message).toContain(`${file}:4:14: pattern \`https://example.com/*.csv\` is a remote path (https://)`);
    expect(message).toContain(`${file}:5:11: file \`wasbs://`);
    expect(message).toContain(`${file}:6:13: folder \`abfss://`);
  });

  it('transformations it does not honour, and unknown ones with a suggestion', async () => {
    const dir = folder(
      'paths:\n  - folder: .\ntransformations:\n  - read_delimited: {delimiter: ","}\n  - filter: \'col("a") > 1\'\n' +
        '  - take_random_sample: {probability: 0.5}\n  - keep_colums: [a]\n  - read_delta_lake: {version_as_of: 1}\n',
      DATA,
    );
    const message = await refusal(dir);
    const file = join(dir, 'MLTable');
    expect(message).toContain(`${file}:5:5: transformation \`filter\` is not supported by minibatch: filter rows in run() instead`);
    expect(message).toContain(`${file}:6:5: transformation \`take_random_sample\` is not supported`);
    expect(message).toContain(`${file}:7:5: unknown transformation \`keep_colums\` (did you mean \`keep_columns\`?)`);
    expect(message).toContain(`${file}:8:5: transformation \`read_delta_lake\` is not supported by minibatch: convert the Delta table to Parquet`);
  });

  it('bad options of a read transformation, column steps on a file dataset, missing files, patterns matching nothing', async () => {
    const badRead = folder('paths:\n  - folder: .\ntransformations:\n  - read_delimited:\n      delimiter: ";;"\n      headr: no_header\n', DATA);
    const m1 = await refusal(badRead);
    expect(m1).toContain(':5:18: delimiter must be one character');
    expect(m1).toContain(':6:7: read_delimited has no option `headr` (did you mean `header`?)');

    const columns = await refusal(folder('paths:\n  - folder: .\ntransformations:\n  - keep_columns: [a]\n', DATA));
    expect(columns).toContain(':4:5: `keep_columns` works on a table\'s columns, and this MLTable has no read transformation');

    const missing = await refusal(folder('paths:\n  - file: ./nope.csv\n  - folder: ./a.csv\n  - pattern: ./*.parquet\n', DATA));
    expect(missing).toContain(':2:11: file `./nope.csv` does not exist');
    expect(missing).toContain(':3:13: folder `./a.csv` is a file, not a folder: write `file: ./a.csv`');
    const nothing = await refusal(folder('paths:\n  - pattern: ./*.parquet\n', DATA));
    expect(nothing).toContain(':2:14: pattern `./*.parquet` matches no file under');

    const noPaths = await refusal(folder('type: mltable\n', DATA));
    expect(noPaths).toContain(':1:1: the MLTable has no `paths`');
  });

  it('a partition format must be quoted text with string fields', async () => {
    const unquoted = await refusal(folder('paths:\n  - folder: .\ntransformations:\n  - extract_columns_from_partition_format: {timestamp:yyyy/MM/dd}\n', DATA));
    expect(unquoted).toContain(':4:44: the partition format must be quoted text');
    const datetime = await refusal(folder("paths:\n  - folder: .\ntransformations:\n  - extract_columns_from_partition_format: '{Store}/{Day:yyyy/MM/dd}/*.csv'\n", DATA));
    expect(datetime).toContain(':4:44: partition format `{Store}/{Day:yyyy/MM/dd}/*.csv` has `{Day:yyyy/MM/dd}`, a datetime field');
  });
});

describe('an MLTable with a read transformation is a table', () => {
  it('compiles read_delimited and the row transformations into the shared TableRead', async () => {
    const dir = folder(
      'paths:\n  - pattern: ./*.csv\ntransformations:\n  - read_delimited:\n      delimiter: ";"\n      header: no_header\n      include_path_column: true\n' +
        "  - extract_columns_from_partition_format: {partition_format: '{Name}.csv'}\n  - keep_columns: [a, b]\n  - drop_columns: b\n  - skip: 2\n  - take: 5\n" +
        '  - convert_column_types:\n      - columns: [a]\n        column_type: int\n',
      DATA,
    );
    const { source } = await loadMLTable(join(dir, 'MLTable'));
    expect(source.kind).toBe('table');
    if (source.kind !== 'table') return;
    expect(source.files.map((f) => f.slice(dir.length + 1))).toEqual(['a.csv', 'b.csv', 'c1.csv', 'cx.csv']);
    expect(source.read).toEqual({
      format: { kind: 'delimited', delimiter: ';', header: 'no_header', encoding: 'utf8', emptyAsString: false, supportMultiLine: false, includePathColumn: true },
      columnSteps: [
        { step: 'partition_columns' },
        { step: 'keep_columns', columns: ['a', 'b'] },
        { step: 'drop_columns', columns: ['b'] },
        { step: 'convert_column_types', types: { a: 'int' } },
      ],
      skipRows: 2,
      takeRows: 5,
      partitionFormat: '{Name}.csv',
    });
  });
});
