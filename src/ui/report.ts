/**
 * `minibatch report`: a run's page as one self-contained HTML file, to attach to a ticket or keep
 * with the outputs. `run`, `resume` and `retry-failed` write one into `logs/report.html` as they end.
 */
import { dirname, relative, resolve, sep } from 'node:path';
import { writeAtomic } from '../run/atomic-file.js';
import { runPaths } from '../core/run-paths.js';
import { buildPageData } from './data/page-data.js';
import { reportHtml } from './page-html.js';

export const REPORT_FILE_NAME = 'report.html';

/** The default place of a run's report. */
export function defaultReportFile(runDir: string): string {
  return resolve(runPaths(resolve(runDir)).logs, REPORT_FILE_NAME);
}

/**
 * Writes the report of `runDir` to `file`. `ended`: written by the run's own process as it ends
 * (run-view.ts). Links to logs are relative to the report, so they work where the two travel together.
 */
export function writeReport(runDir: string, file: string = defaultReportFile(runDir), options: { readonly ended?: boolean } = {}): string {
  const view = buildPageData(runDir, { embedDetails: true, ended: options.ended === true });
  const out = resolve(file);
  const href = relative(dirname(out), view.runDir).split(sep).join('/');
  writeAtomic(out, reportHtml(view, href === '' ? '.' : href));
  return out;
}
