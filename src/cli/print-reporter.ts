/**
 * The command line's `RunReporter`: the run directory, the interpreter, notes and the summary on
 * stdout, progress on stderr. With `--json`, stdout holds the job result alone and the rest goes to
 * stderr.
 */
import { colorsFor } from '../report/colors.js';
import { formatInterpreter } from '../report/run-header.js';
import { formatSummary } from '../report/summary.js';
import type { RunReporter } from '../run/reporter.js';

export function printingReporter(plainProgress: boolean, json = false): RunReporter {
  const say = json ? process.stderr : process.stdout;
  return {
    runDirectory: (root) => void say.write(`run directory: ${root}\n`),
    interpreter: (python) => void say.write(formatInterpreter(python)),
    note: (lines) => void say.write(lines),
    finished: (result) =>
      void process.stdout.write(json ? JSON.stringify(result, null, 2) + '\n' : formatSummary(result, colorsFor(process.stdout))),
    progress: { stream: process.stderr, plain: plainProgress },
  };
}
