/**
 * MLTable inputs and partition keys over file paths, end to end (docs/MLTABLE.md): the real CLI, real
 * Python. run() gets exactly the files an MLTable lists (never the MLTable itself); with partition
 * keys, one mini-batch per combination of the values the paths hold, sorted, with
 * `partition_key_value` and `mini_batch_context.dataset`; a run killed mid-way resumes to the same
 * rows, each once. Bad MLTables and keys are refused with exit 2 before a run directory exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeModule, moduleArgs, type TestModule } from '../helpers/module.js';
import { writeTree } from '../data/tree.js';

const PARTITIONED = {
  'S2/2024/a.txt': 'x',
  'S1/2024/b.txt': 'x',
  'S1/2023/c.txt': 'x',
  'S1/2023/a.txt': 'x',
  'S2/2023/a.txt': 'x',
  'S1/2024/notes.md': 'not data',
  'README.txt': 'not data either',
};
const PARTITION_MLTABLE =
  "paths:\n  - pattern: ./*/*/*.txt\ntransformations:\n  - extract_columns_from_partition_format: '{store}/{year}/*.txt'\n";

/** A module whose entry is `entry`, its Data folder holding `files` and an MLTable with `mltable`. */
function mltableModule(entry: string, files: Readonly<Record<string, string>>, mltable: string): TestModule {
  const m = makeModule({ entry, files: [] });
  writeTree(m.data, files);
  writeFileSync(join(m.data, 'MLTable'), mltable);
  return m;
}

function rows(m: TestModule): string[] {
  return readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8').split('\n').filter((l) => l !== '');
}

function expectExit(result: { exitCode: number | null; signal: string | null; stdout: string; stderr: string }, code: number | 'SIGKILL'): void {
  const got = result.signal ?? result.exitCode;
  expect(got, `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

describe.concurrent('MLTable inputs', () => {
  it('an MLTable without a read transformation: run() gets exactly the files it lists, never the MLTable itself', async () => {
    const m = mltableModule(
      'two_arg',
      { 'keep/b.txt': 'b', 'keep/a.txt': 'a', 'keep/skip.csv': 'no', 'top.txt': 't', 'other/c.txt': 'c' },
      'paths:\n  - folder: ./keep\n  - pattern: ./*.txt\ntransformations:\n  - take: 3\n',
    );
    // Listed: the folder (keep/a.txt, keep/b.txt, keep/skip.csv), then the pattern (top.txt); take 3 keeps the first three.
    const explained = await runCli(['explain', m.spec, '--input', `Data=${m.data}`, '--mini-batch-size', '2']);
    expectExit(explained, 0);
    expect(explained.stdout).toContain(`MLTable ${join(m.data, 'MLTable')}: a file dataset of 3 listed files`);
    expect(explained.stdout).toContain('folder: ./keep');
    expect(explained.stdout).toContain('pattern: ./*.txt');
    expect(explained.stdout).toContain('take 3');
    expect(explained.stdout).toContain('3 items in 2 mini-batches');

    const result = await runCli([...moduleArgs(m), '--output-action', 'append_row', '--mini-batch-size', '2']);
    expectExit(result, 0);
    expect(rows(m)).toEqual([`0 ${join(m.data, 'keep/a.txt')}`, `0 ${join(m.data, 'keep/b.txt')}`, `1 ${join(m.data, 'keep/skip.csv')}`]);
  });

  it('partition keys over file paths: one mini-batch per combination, sorted, files in listing order; killed and resumed, every row once', async () => {
    const m = mltableModule('partitions', PARTITIONED, PARTITION_MLTABLE);
    const args = [...moduleArgs(m), '--output-action', 'append_row', '--partition-keys', 'store,year', '--processes', '1'];
    const killed = await runCli(args, { env: { MINIBATCH_TEST_KILL_AT: 'committed:2' } });
    expectExit(killed, 'SIGKILL');
    const resumed = await runCli(['resume', m.runDir, '--no-progress']);
    expectExit(resumed, 0);
    expect(resumed.stdout).toContain('4 succeeded, 0 partial, 0 failed, 0 not run (of 4)');
    const key = (store: string, year: string): string => `{"store":"${store}","year":"${year}"}`;
    expect(rows(m)).toEqual([
      `${key('S1', '2023')} /S1/2023/a.txt a.txt`,
      `${key('S1', '2023')} /S1/2023/c.txt c.txt`,
      `${key('S1', '2024')} /S1/2024/b.txt b.txt`,
      `${key('S2', '2023')} /S2/2023/a.txt a.txt`,
      `${key('S2', '2024')} /S2/2024/a.txt a.txt`,
    ]);
    const stdoutLogs = join(m.runDir, 'logs', 'user', 'stdout');
    const printed = readdirSync(stdoutLogs).map((f) => readFileSync(join(stdoutLogs, f), 'utf8')).join('');
    expect(printed).toContain(
      `FileDataset(root='${m.data}', partition_key_value={'store': 'S1', 'year': '2023'}, files=['/S1/2023/a.txt', '/S1/2023/c.txt'])`,
    );
  });

  it('refuses, with exit 2 and before any run directory: a key the pattern lacks, keys without a pattern, from_first_file with utf16 on a tabular MLTable, remote MLTables', async () => {
    const m = mltableModule('ok', PARTITIONED, PARTITION_MLTABLE);
    const badKey = await runCli([...moduleArgs(m), '--partition-keys', 'store,month']);
    expectExit(badKey, 2);
    expect(badKey.stderr).toContain(
      `partition key \`month\` is not a field of input \`Data\`'s partition format \`{store}/{year}/*.txt\` (${join(m.data, 'MLTable')}:4:44); its fields are \`store\`, \`year\``,
    );
    expect(existsSync(m.runDir)).toBe(false);

    const plain = makeModule({ entry: 'ok', files: ['a.txt'] });
    const noPattern = await runCli([...moduleArgs(plain), '--partition-keys', 'store']);
    expectExit(noPattern, 2);
    expect(noPattern.stderr).toContain(`input \`Data\` (${plain.data}) has no MLTable file`);

    const table = mltableModule('ok', { 'a.csv': 'x,y\n1,2\n' }, 'paths:\n  - file: a.csv\ntransformations:\n  - read_delimited:\n      delimiter: ","\n      header: from_first_file\n      encoding: utf16\n');
    const tabular = await runCli(moduleArgs(table));
    expectExit(tabular, 2);
    expect(tabular.stderr).toContain(`${join(table.data, 'MLTable')}:6:15: header: from_first_file with encoding: utf16 on input \`Data\`, a table (\`read_delimited\`) is not supported: use all_files_same_headers, or convert the files to utf8`);
    expect(existsSync(table.runDir)).toBe(false);

    const remote = mltableModule('ok', {}, 'paths:\n  - pattern: wasbs://c@acct.blob.core.windows.net/data/*.csv\n');
    const refused = await runCli(moduleArgs(remote));
    expectExit(refused, 2);
    expect(refused.stderr).toContain(`${join(remote.data, 'MLTable')}:2:14: pattern \`wasbs://c@acct.blob.core.windows.net/data/*.csv\` is a remote path (wasbs://)`);
  });
});

const PANDAS_PYTHON = '/usr/bin/python3';
const pandas = ((): boolean => {
  try {
    execFileSync(PANDAS_PYTHON, ['-c', 'import pandas'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!pandas && process.env['CI'] === 'true') throw new Error(`${PANDAS_PYTHON} has no pandas: .ci/run installs python3-pandas`);

describe.skipIf(!pandas)('tabular MLTable inputs (real pandas)', () => {
  it('read_delimited over two listed CSV files: run() gets DataFrames whose rows are the files\' rows, in MLTable order', async () => {
    const m = mltableModule(
      'table_echo',
      {
        'b.csv': 'id,name,score\n3,carol,3.5\n4,"dan, jr",4.0\n5,eve,5.25\n',
        'a.csv': 'id,name,score\n1,alice,1.5\n2,bob,2.0\n',
        'not-listed.csv': 'id,name,score\n99,nobody,0\n',
      },
      'paths:\n  - file: ./b.csv\n  - file: ./a.csv\ntransformations:\n  - read_delimited:\n      delimiter: ","\n      header: all_files_same_headers\n',
    );
    const args = [...moduleArgs(m), '--python', PANDAS_PYTHON, '--mini-batch-size', '2rows', '--output-action', 'append_row', '--append-row-format', 'jsonl'];
    const result = await runCli(args);
    expectExit(result, 0);
    // b.csv in 2 mini-batches (2 rows, then 1), a.csv in 1: every mini-batch a DataFrame of its rows.
    expect(result.stdout).toContain('mini-batches  3 succeeded, 0 partial, 0 failed, 0 not run (of 3)');
    expect(rows(m).map((line) => JSON.parse(line) as unknown)).toEqual([
      { id: 3, name: 'carol', score: 3.5 },
      { id: 4, name: 'dan, jr', score: 4.0 },
      { id: 5, name: 'eve', score: 5.25 },
      { id: 1, name: 'alice', score: 1.5 },
      { id: 2, name: 'bob', score: 2.0 },
    ]);
  });
});
