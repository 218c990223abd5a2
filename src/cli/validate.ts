/**
 * `minibatch validate <module.yaml>`: every problem of a module spec, each as `file:line:col:
 * message`, sorted by position, exit 2; or a one-line summary, exit 0. Warnings and notes go to
 * stderr either way. Given a job file, it checks the job file, its module spec and its bindings.
 */
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { formatDiagnostic } from '../core/errors.js';
import type { Diagnostic } from '../core/errors.js';
import type { ModuleSpec } from '../spec/types.js';
import { defaultRunsRoot } from '../run/rundir.js';
import { bindJob, type FlagBindings } from '../spec/bind.js';
import { checkDataset } from '../data/dataset.js';
import { loadTarget } from './options.js';

const NO_FLAGS: FlagBindings = { inputs: [], parameters: [], outputs: [], settings: {}, limit: null };

export function register(program: Command): void {
  program
    .command('validate')
    .description('check a module spec (or a job file and its spec) and report every problem with its file:line:col')
    .argument('<module.yaml>', 'the module spec, or a job file (module: ./module.yaml)')
    .action(async (target: string) => {
      const { spec, job, diagnostics } = await loadTarget(target);
      printDiagnostics(diagnostics);
      // A job file's bindings are checked as `run` would check them (names, values, paths), so
      // that "valid" means the job can start. Nothing is created.
      // A table's size and format are checked too (a byte size on files is refused here, not half-way).
      if (job !== null) checkDataset(await bindJob({ spec, job, flags: NO_FLAGS, runDir: join(defaultRunsRoot(), 'validate') }));
      process.stdout.write(`${summary(target, spec)}\n`);
    });
}

export function printDiagnostics(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
}

/** `module.yaml: Parallel Sample 0.0.1 is valid; inputs: …; parameters: …; outputs: …; entry: worker.py` */
export function summary(target: string, spec: ModuleSpec): string {
  const names = (list: readonly { name: string }[]): string => (list.length === 0 ? '(none)' : list.map((d) => d.name).join(', '));
  const ports = spec.inputs.filter((d) => d.kind === 'port');
  const params = spec.inputs.filter((d) => d.kind === 'param');
  return (
    `${target}: ${spec.name} ${spec.version} is valid; ` +
    `inputs: ${names(ports)}; parameters: ${names(params)}; outputs: ${names(spec.outputs)}; ` +
    `entry: ${relative(spec.sourceDir, spec.entry)}`
  );
}
