/**
 * minibatch as a library: what a program may call. `runJob` runs a job from typed options, as
 * `minibatch run` does from flags; `resolveJob` and `loadSpec` check one without running it.
 * Internals are not re-exported.
 */
export {
  EXIT,
  EnvironmentError,
  InterruptedError,
  MinibatchError,
  RunDirConflictError,
  RunFailedError,
  SpecError,
  UsageError,
  formatDiagnostic,
  type Diagnostic,
  type ErrorCode,
  type ExitCode,
} from './core/errors.js';
export { loadSpec } from './spec/validate.js';
export { resolveJob, type Duration, type JobSettings, type ResolveJobOptions } from './spec/job-options.js';
export { runJob, silentReporter, type RunJobOptions } from './run/run-job.js';
export type { RunReporter } from './run/reporter.js';
export type {
  AppendRowFormat,
  ArgTemplate,
  InputDecl,
  ModuleSpec,
  OutputAction,
  OutputDecl,
  ParamDecl,
  ParamValue,
  PortDecl,
  ResolvedJob,
  RunSettings,
} from './spec/types.js';
export type { JobResult, RunStatus, ThresholdBreach } from './report/result.js';
export { MINIBATCH_VERSION as version } from './core/version.js';
