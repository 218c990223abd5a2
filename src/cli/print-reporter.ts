/** The command line's `RunReporter`: the run directory, notes and the summary on stdout, progress on stderr. */
import { formatSummary } from '../report/summary.js';
import type { RunReporter } from '../run/reporter.js';

export function printingReporter(plainProgress: boolean): RunReporter {
  return {
    runDirectory: (root) => void process.stdout.write(`run directory: ${root}\n`),
    note: (lines) => void process.stdout.write(lines),
    finished: (result) => void process.stdout.write(formatSummary(result)),
    progress: { stream: process.stderr, plain: plainProgress },
  };
}
