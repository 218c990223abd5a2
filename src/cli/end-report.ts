/**
 * The HTML report a run writes into `logs/report.html` as it ends (src/ui/report.ts). The web view's
 * code is loaded only here, after the run, never on its start-up path; a report that cannot be
 * written is a warning, never the run's failure: the ledger and the logs hold everything it shows.
 */
import type { RunPaths } from '../core/run-paths.js';

export async function writeEndReport(paths: RunPaths, stream: NodeJS.WritableStream): Promise<void> {
  try {
    // Loaded only now, so that `run` does not load the web view's code to start.
    const { writeReport } = await import('../ui/report.js');
    writeReport(paths.root, undefined, { ended: true });
  } catch (error) {
    stream.write(`[minibatch] warning: could not write the HTML report into ${paths.logs}: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
