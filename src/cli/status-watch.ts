/**
 * `minibatch status --watch`: the status of a live run, again every `--interval`, until the run
 * ends or Ctrl-C. On a terminal the block is redrawn in place; elsewhere (a pipe, a log, CI) a new
 * block is printed each time the run moves on (its counts, state or errors change), with the time,
 * so that the output reads as a log. With `--json`, one JSON object per line, on each change.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusReport } from '../report/status.js';

export interface WatchOptions {
  readonly intervalMs: number;
  readonly json: boolean;
  /** A fresh report of the run (read-only). */
  readonly read: () => StatusReport;
  readonly format: (report: StatusReport) => string;
  readonly out: NodeJS.WriteStream;
}

/** Exit code: 0 when the run ended (as `status`), 130 when the user stopped watching. */
export async function watchStatus(opts: WatchOptions): Promise<number> {
  let stopped = false;
  let wake: (() => void) | null = null;
  const onSignal = (): void => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const inPlace = opts.out.isTTY === true && !opts.json;
  let drawnRows = 0;
  let lastChange = '';
  try {
    for (;;) {
      const report = opts.read();
      const ended = report.state !== 'running';
      if (inPlace) {
        const text = opts.format(report) + (ended ? '' : `  (every ${seconds(opts.intervalMs)}; Ctrl-C to stop watching)\n`);
        // Back to the block's first row, and clear what was drawn, before drawing it again.
        opts.out.write(`${drawnRows > 0 ? `\x1b[${drawnRows}A\r\x1b[J` : ''}${text}`);
        drawnRows = rowsOf(text, opts.out.columns);
      } else {
        const change = changeKey(report);
        if (change !== lastChange) {
          lastChange = change;
          opts.out.write(opts.json ? JSON.stringify(report) + '\n' : `--- ${new Date().toLocaleTimeString()}\n${opts.format(report)}`);
        }
      }
      if (ended) return 0;
      await Promise.race([sleep(opts.intervalMs), new Promise<void>((resolve) => (wake = resolve))]);
      if (stopped) return 130;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What makes a new block worth printing: the run moved on, not merely its clock. */
function changeKey(r: StatusReport): string {
  return JSON.stringify([r.state, r.planning, r.miniBatches, r.items, r.tries, r.running, r.errors.map((e) => e.count), r.result]);
}

/** Terminal rows `text` takes, its long lines wrapped at `columns`. */
function rowsOf(text: string, columns: number | undefined): number {
  const width = columns !== undefined && columns > 0 ? columns : Infinity;
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines.reduce((rows, line) => rows + Math.max(1, Math.ceil(line.length / width)), 0);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
