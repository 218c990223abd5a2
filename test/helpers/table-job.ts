/**
 * A tabular job on disk for end-to-end tests: a module whose entry is a fixture entry script, and a
 * `data` folder of given files bound as `Data`, run with Debian's Python (pandas).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ENTRIES, writeSpec } from './module.js';
import { DEBIAN_PYTHON } from './python.js';

export interface TableJob {
  readonly root: string;
  readonly data: string;
  readonly out: string;
  readonly runDir: string;
  /** `minibatch run` of the job with `fixed` (tableJob's) and then `extra` flags. */
  args(extra: readonly string[]): string[];
  /** The lines of the append_row file (`parallel_run_step.txt`), blank ones left out. */
  rows(): string[];
}

/** The job `name` under `parent`: entry `entry` (test/fixtures/entries/<entry>.py), `files` in `data`. */
export function tableJob(
  parent: string,
  name: string,
  entry: string,
  files: Readonly<Record<string, string | Buffer>>,
  fixed: readonly string[] = [],
): TableJob {
  const root = join(parent, name);
  const data = join(root, 'data');
  mkdirSync(join(root, 'module'), { recursive: true });
  mkdirSync(data);
  copyFileSync(join(ENTRIES, `${entry}.py`), join(root, 'module', 'entry.py'));
  writeSpec(join(root, 'module', 'module.yaml'), { moduleName: 'Tables', moduleVersion: '1.0.0', input: 'Data', output: 'Out', entry: 'entry.py' });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(data, file)), { recursive: true });
    writeFileSync(join(data, file), content);
  }
  const out = join(root, 'out');
  const runDir = join(root, 'run');
  return {
    root,
    data,
    out,
    runDir,
    args: (extra) => [
      'run', join(root, 'module', 'module.yaml'), '--input', `Data=${data}`, '--output', `Out=${out}`,
      '--run-dir', runDir, '--no-progress', '--python', DEBIAN_PYTHON, '--processes', '2', ...fixed, ...extra,
    ],
    rows: () => readFileSync(join(out, 'parallel_run_step.txt'), 'utf8').split('\n').filter((l) => l !== ''),
  };
}
