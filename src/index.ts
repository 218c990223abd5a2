/**
 * minibatch as a library: what a program may call. The command line (`minibatch …`) is the main
 * interface; these are the stable pieces beneath it. Internals are not re-exported.
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
export { resolveJobFromCli as resolveJob, type JobOptions } from './cli/options.js';
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
export type { JobResult, RunStatus } from './report/result.js';
export { MINIBATCH_VERSION as version } from './core/version.js';
