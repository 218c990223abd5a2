/**
 * What a user names to run: a module spec, or a job file (a top-level `module:` key) that names one.
 * Both the command line and the library entry load their target here.
 */
import { SpecError } from '../core/errors.js';
import type { Diagnostic } from '../core/errors.js';
import { sortDiagnostics } from './diagnostics.js';
import { isJobFile, parseJobFile } from './job.js';
import type { JobFile } from './job.js';
import { readYamlFile } from './load.js';
import type { ModuleSpec } from './types.js';
import { loadSpec, requireValid, validateSpec } from './validate.js';

/**
 * The module spec and, when `target` is a job file, the job. Throws `SpecError` with every
 * diagnostic of both files; returns their warnings and notes.
 */
export async function loadTarget(
  target: string,
  cwd: string = process.cwd(),
): Promise<{ spec: ModuleSpec; job: JobFile | null; diagnostics: readonly Diagnostic[] }> {
  const file = await readYamlFile(target, 'module spec or job file', cwd);
  if (!isJobFile(file)) return { ...requireValid(await validateSpec(file)), job: null };
  const { job, diagnostics: jobDiagnostics } = parseJobFile(file);
  try {
    const { spec, diagnostics } = await loadSpec(job.module, cwd);
    return { spec, job, diagnostics: sortDiagnostics([...jobDiagnostics, ...diagnostics]) };
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    throw new SpecError(error.code, sortDiagnostics([...jobDiagnostics, ...error.diagnostics]), { cause: error });
  }
}
