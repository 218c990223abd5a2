/**
 * How run/ tells a user what happens, without printing anything itself: the command line implements
 * it by printing (cli/print-reporter.ts); a program driving a run may pass its own.
 */
import type { JobResult } from '../report/result.js';

export interface RunReporter {
  /** The run directory, once it is made (a new run) or locked (a continued one). */
  runDirectory(root: string): void;
  /**
   * What the run is about to do: what resume continues and why, what changed in the inputs, what
   * retry-failed runs again. One or more lines, each ending in a newline.
   */
  note(lines: string): void;
  /** The run ended with `result` (the command line prints its summary). */
  finished(result: JobResult): void;
  /** Where live progress goes: a bar on a terminal, lines elsewhere; `plain`: lines always. */
  readonly progress: { readonly stream: NodeJS.WriteStream; readonly plain: boolean };
}
