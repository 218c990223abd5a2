/**
 * `minibatch validate <spec|job>`: every problem of a module spec, each as `file:line:col:
 * message`, sorted by position, exit 2; or a one-line summary, exit 0. Warnings and notes go to
 * stderr either way. Given a job file, it checks the job file, its module spec and its bindings.
 */
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { formatDiagnostic } from '../core/errors.js';
import type { Diagnostic } from '../core/errors.js';
import type { ModuleSpec } from '../spec/types.js';
import { defaultRunsRoot } from '../run/rundir.js';
import { resolveDataset } from '../data/dataset.js';
import { bindJob, type FlagBindings } from '../spec/bind.js';
import { loadTarget } from '../spec/target.js';

const NO_FLAGS: FlagBindings = { inputs: [], parameters: [], outputs: [], settings: {}, limit: null };

export function register(program: Command): void {
  program
    .command('validate')
    .description('check a module spec (or a job file and its spec) and report every problem with its file:line:col')
    .argument('<spec|job>', 'the module spec, a job file (module: ./module.yaml), or an Azure ML v2 parallel job, component, pipeline or batch deployment')
    .option('--node <name>', 'the parallel node of an Azure ML pipeline (default: its only one)')
    .action(async (target: string, opts: { node?: string }) => {
      const { spec, job, diagnostics, azure } = await loadTarget(target, process.cwd(), { node: opts.node ?? null });
      printDiagnostics(diagnostics);
      // A job file's bindings are checked as `run` would check them (names, values, paths), so
      // that "valid" means the job can start: its MLTables read, its partition keys found, a table's
      // size and format checked (a byte size on files is refused here, not half-way). Nothing is created.
      // An Azure ML v2 file is its own job, whose data is often given only when it is run (a batch
      // deployment's --input): its file is checked, its bindings when it runs.
      if (job !== null && !azure) {
        await resolveDataset(await bindJob({ spec, job, flags: NO_FLAGS, runDir: join(defaultRunsRoot(), 'validate') }));
      }
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
