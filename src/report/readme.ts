/** `logs/readme.txt`: what each log of a run holds, for whoever opens the folder first. */
import { writeFileSync } from 'node:fs';
import type { RunPaths } from '../core/run-paths.js';
import { OWNER_ONLY } from '../core/owner-only.js';

const README = `What the logs of this minibatch run hold

job_result.txt                 the outcome in one paragraph: counts, thresholds, the first errors
job_result.json                the same, for programs
job_progress_overview.txt      a progress line every few seconds while the run was live
job_error.txt                  every failed try: mini-batch, try, worker, its items (files, or a table's
                               range), error type, message, traceback, and the worker's own logs
sys/processed_mini_batches.csv one row per try: mini-batch, try, worker, start, duration, outcome, counts
sys/workers/<worker>.txt       each worker process's life: start (pid), init, exits with code or signal
user/stdout/<worker>.txt       what the entry script printed to stdout, unparsed
user/stderr/<worker>.txt       what it printed to stderr (Python tracebacks of crashes land here too)
user/entry_script_log/<worker>.txt
                               the entry script's \`logging\` and EntryScript().logger, with timestamps

A worker is named worker-<slot>; a replacement of a crashed worker keeps its slot and appends to the
same files. The ledger, state.db (SQLite), is the run's truth: \`minibatch status\` reads it.
`;

export function writeLogsReadme(paths: RunPaths): void {
  writeFileSync(paths.readme, README, { mode: OWNER_ONLY });
}
