/**
 * Finalize (DESIGN §2): the append_row file in mini-batch order, the outcome judged, and the job
 * result written for people and programs. The outcome is also recorded in the ledger, so that
 * resuming a finished run changes nothing and exits with it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from '../ledger/sqlite.js';
import type { RunPaths } from '../report/layout.js';
import { firstErrors, formatJobResult, miniBatchCounts, type JobResult } from '../report/result.js';
import type { ResolvedJob } from '../spec/types.js';
import { judgeOutcome } from './outcome.js';
import { writeAtomic } from './rundir.js';
import { writeRowsFile } from './rows-file.js';
import { outputDataPath } from './worker-init.js';
import type { SchedulerResult } from './scheduler.js';

export interface FinalizeInput {
  readonly job: ResolvedJob;
  readonly runId: string;
  readonly paths: RunPaths;
  readonly ledger: Ledger;
  readonly result: SchedulerResult;
  readonly startedAt: Date;
  readonly resumeHint: string;
}

/** How many failed tries the job result names. */
const FIRST_ERRORS = 5;
export const OUTCOME_META_KEY = 'job_result';

export function finalizeRun(input: FinalizeInput): JobResult {
  const { job, paths, ledger } = input;
  const settings = job.settings;
  let rowsFile: string | null = null;
  let rowCount: number | null = null;
  let counts = ledger.counts();
  let outcome = judgeOutcome(input.result, counts, input.resumeHint);

  if (settings.outputAction === 'append_row' && outcome.status !== 'interrupted') {
    rowsFile = join(outputDataPath(job), settings.appendRowFileName);
    const written = writeRowsFile(rowsFile, settings.appendRowFormat, ledger.rowsInOrder());
    rowCount = written.rows;
    if (written.misfits.length > 0) {
      for (const misfit of written.misfits) {
        ledger.failMiniBatch(misfit.index, {
          type: 'RowsDoNotFitHeader',
          message:
            `mini-batch ${misfit.index} returned columns [${misfit.columns.join(', ')}], but the ` +
            `${settings.appendRowFormat} header (from the first mini-batch with rows) is ` +
            `[${(written.header ?? []).join(', ')}]; its rows were left out of ${rowsFile}`,
          traceback: '',
        });
      }
      counts = ledger.counts();
      outcome = judgeOutcome(input.result, counts, input.resumeHint);
    }
  }

  const finishedAt = new Date();
  const result: JobResult = {
    runId: input.runId,
    module: { name: job.module.name, version: job.module.version },
    status: outcome.status,
    reason: outcome.reason,
    exitCode: outcome.exitCode,
    startedAt: input.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - input.startedAt.getTime(),
    miniBatches: miniBatchCounts(counts),
    items: { total: counts.items, succeeded: counts.succeededItems, failed: counts.failedItems },
    tries: counts.tries,
    threshold: outcome.threshold,
    firstErrors: firstErrors(ledger.failedTries(FIRST_ERRORS), paths),
    rowsFile,
    rows: rowCount,
    outputs: job.outputs,
    logs: paths.logs,
  };
  writeAtomic(paths.jobResultJson, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(paths.jobResultTxt, formatJobResult(result));
  ledger.setMeta(OUTCOME_META_KEY, JSON.stringify(result));
  return result;
}
