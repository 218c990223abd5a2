/**
 * A real module on disk for end-to-end tests: a spec whose entry is one of the fixture entry
 * scripts (`test/fixtures/entries/<name>.py`), and a data folder of files with given names.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ENTRIES = fileURLToPath(new URL('../fixtures/entries/', import.meta.url));

export interface TestModule {
  /** A temporary folder holding everything below. */
  readonly root: string;
  /** The module spec. */
  readonly spec: string;
  /** The input folder (`Data`). */
  readonly data: string;
  /** Where the test asks the run to go (not created). */
  readonly runDir: string;
  /** Where the `Out` output is bound. */
  readonly out: string;
}

export interface ModuleOptions {
  /** Fixture entry script name, without `.py`. */
  readonly entry: string;
  /** Names of the input files (content: the name itself). */
  readonly files: readonly string[];
  /** `implementation.parallel.settings`, as YAML flow values. */
  readonly settings?: Readonly<Record<string, string | number>>;
}

export function makeModule(opts: ModuleOptions): TestModule {
  const root = mkdtempSync(join(tmpdir(), 'mb-module-'));
  const moduleDir = join(root, 'module');
  const data = join(root, 'data');
  mkdirSync(moduleDir);
  mkdirSync(data);
  copyFileSync(join(ENTRIES, `${opts.entry}.py`), join(moduleDir, 'entry.py'));
  for (const name of opts.files) {
    mkdirSync(join(data, name, '..'), { recursive: true });
    writeFileSync(join(data, name), name);
  }
  const settings = Object.entries(opts.settings ?? {})
    .map(([k, v]) => `      ${k}: ${v}\n`)
    .join('');
  const spec = join(moduleDir, 'module.yaml');
  writeFileSync(
    spec,
    `amlModuleIdentifier:
  moduleName: Test Module
  moduleVersion: 0.0.1
jobType: parallel
inputs:
  - name: Data
    type: AnyDirectory
outputs:
  - name: Out
    type: AnyDirectory
implementation:
  parallel:
    amlEnvironment: {}
    inputData: Data
    outputData: Out
    entry: entry.py
    args: []
${settings === '' ? '' : `    settings:\n${settings}`}`,
  );
  const out = join(root, 'out');
  return { root, spec, data, runDir: join(root, 'run'), out };
}

/** What a one-input, one-output module spec names (`writeSpec`). */
export interface SpecNames {
  readonly moduleName: string;
  readonly moduleVersion: string;
  /** The one data input (`inputData`). */
  readonly input: string;
  /** The one output (`outputData`). */
  readonly output: string;
  /** The entry script, relative to the spec's folder. */
  readonly entry: string;
}

/** Writes a module spec with one data input and one output to `file`. */
export function writeSpec(file: string, names: SpecNames): void {
  writeFileSync(
    file,
    `amlModuleIdentifier: {moduleName: ${names.moduleName}, moduleVersion: ${names.moduleVersion}}
jobType: parallel
inputs:
  - {name: ${names.input}, type: AnyDirectory}
outputs:
  - {name: ${names.output}, type: AnyDirectory}
implementation:
  parallel:
    amlEnvironment: {}
    inputData: ${names.input}
    outputData: ${names.output}
    entry: ${names.entry}
    args: []
`,
  );
}

/** `minibatch run` of `m` with its bindings and run directory. */
export function moduleArgs(m: TestModule): string[] {
  return ['run', m.spec, '--input', `Data=${m.data}`, '--output', `Out=${m.out}`, '--run-dir', m.runDir, '--no-progress'];
}

/** `count` file names `prefix-000`, `prefix-001`, … */
export function names(count: number, prefix = 'f'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
}
