/**
 * Azure's partitioned many-models pipeline in the style of its public sample (docs/AZURE.md): a
 * command step splits sales into one folder per Store/Brand and writes an MLTable (Path column,
 * partition format, drop_columns after it); the parallel step, run unchanged with
 * `minibatch run pipeline.yml --node parallel_train`, trains one model per key combination and
 * imports `mltable` (minibatch's offline one). Real pandas and scikit-learn (`/usr/bin/python3`).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { debianPythonHas } from '../helpers/python.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/azure/partitioned/', import.meta.url));
const MLTABLE_SHIM = fileURLToPath(new URL('../../python/shims_mltable/', import.meta.url));
const PYTHON = '/usr/bin/python3';

const sklearn = debianPythonHas(['sklearn', 'pandas'], 'python3-sklearn');

/** The sample copied to a fresh folder, with its data made and partitioned by the command step. */
function partitionedSample(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'mb-partitioned-'));
  cpSync(SAMPLE, cwd, { recursive: true });
  execFileSync(PYTHON, ['make_sales.py'], { cwd });
  execFileSync(PYTHON, ['src/partition_data/partition_data.py', '--data_source', 'sales_data/sales.csv', '--partition_keys', 'Store,Brand', '--tabular_output_data', 'partitioned'], { cwd });
  return cwd;
}

const KEYS = ['1000 dominicks', '1000 tropicana', '1001 dominicks', '1001 tropicana', '1002 dominicks', '1002 tropicana'];

describe.skipIf(!sklearn)('Azure partitioned many-models sample (real pandas and scikit-learn)', { concurrent: true }, () => {
  it('runs as written: one mini-batch of 40 rows per Store/Brand, a model per key, a row per key in key order', async () => {
    const cwd = partitionedSample();
    const runDir = join(cwd, 'run');
    const r = await runCli(['run', 'pipeline.yml', '--node', 'parallel_train', '--input', 'data_source=./partitioned', '--python', PYTHON, '--run-dir', runDir, '--no-progress'], { cwd });
    // Each run() returns one row for its 40: a partition is one item, as on Azure, so it succeeded.
    expect(r.stdout).toContain('Succeeded: Every mini-batch succeeded.');
    expect(r.stdout).toContain('mini-batches  6 succeeded, 0 partial, 0 failed, 0 not run (of 6)');
    expect(r.exitCode).toBe(0);
    expect(r.stdout, r.stderr).not.toContain('KeyError');
    const rows = readFileSync(join(runDir, 'outputs', 'job_output_file'), 'utf8').split('\n').filter((l) => l !== '');
    expect(rows.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(KEYS.map((k) => `${k} 40`));
    for (const row of rows) expect(Number(row.split(' ')[3])).toBeGreaterThan(0);
    for (const key of KEYS) expect(existsSync(join(runDir, 'outputs', 'model_folder', ...key.split(' '), 'model.pkl')), key).toBe(true);
    const stdoutLogs = join(runDir, 'logs', 'user', 'stdout');
    const printed = readdirSync(stdoutLogs).map((f) => readFileSync(join(stdoutLogs, f), 'utf8')).join('');
    for (const key of KEYS) {
      const [store, brand] = key.split(' ');
      expect(printed).toContain(`partition_key_value = {'Store': '${store}', 'Brand': '${brand}'}`);
    }
  });

  it('the offline mltable on its own: load + to_pandas_dataframe is what pandas reads from the files; a remote path says to install the real mltable', () => {
    const cwd = partitionedSample();
    const script = [
      'import glob, os, mltable, pandas as pd',
      "table = mltable.load('partitioned')",
      'df = table.to_pandas_dataframe()',
      "files = sorted(glob.glob('partitioned/*/*/*.csv'))",
      "parts = [pd.read_csv(f).assign(Store=f.split('/')[1], Brand=f.split('/')[2]) for f in files]",
      'pd.testing.assert_frame_equal(df, pd.concat(parts, ignore_index=True))',
      "print('paths', table.paths)",
      "print('take', len(table.take(5).to_pandas_dataframe()), list(table.keep_columns(['Store', 'Quantity']).show(1).columns))",
      "direct = mltable.from_delimited_files(paths=[{'pattern': 'partitioned/**/*.csv'}], include_path_column=True).drop_columns('Path')",
      "pd.testing.assert_frame_equal(direct.to_pandas_dataframe(), pd.concat([pd.read_csv(f) for f in files], ignore_index=True))",
      'try:',
      "    mltable.load('azureml://subscriptions/s/workspaces/w/datastores/d/paths/sales')",
      'except mltable.NotSupportedError as e:',
      "    print('refused', e)",
    ].join('\n');
    const out = execFileSync(PYTHON, ['-c', script], { cwd, env: { ...process.env, PYTHONPATH: MLTABLE_SHIM }, encoding: 'utf8' });
    expect(out).toContain("paths [{'pattern': './**/*.csv'}]");
    expect(out).toContain("take 5 ['Store', 'Quantity']");
    expect(out).toContain(
      "refused azureml://subscriptions/s/workspaces/w/datastores/d/paths/sales is a remote path, which minibatch's offline mltable cannot read: install the real mltable package (pip install mltable) for this",
    );
  });
});
