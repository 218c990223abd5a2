/** The summary `minibatch run` prints when a run ends: outcome, counts, time, where to look. */
import { dirname } from 'node:path';
import { shellQuote } from '../spec/render.js';
import type { JobResult } from './result.js';
import { NO_COLORS, type Colors } from './colors.js';
import { formatErrorSummary } from './error-groups.js';
import { headline, thisProcessLabel, timeFigures } from './result.js';

export function formatSummary(r: JobResult, c: Colors = NO_COLORS): string {
  const mb = r.miniBatches;
  const times = timeFigures(r);
  const lines = [
    '',
    `${paint(r, c)(headline(r))}: ${r.reason}`,
    ...r.warnings.map((w) => `  ${c.yellow('warning')}: ${w}`),
    `  mini-batches  ${mb.succeeded} succeeded, ${mb.partial} partial, ${mb.failed} failed, ${mb.notRun} not run (of ${mb.total})`,
    `  items         ${r.items.succeeded} succeeded, ${r.items.failed} failed (of ${r.items.total})`,
    // A resumed run: this process's work, then the whole run's, each labelled.
    `  ${thisProcessLabel(r.thisProcess.command).padEnd(14)}${times.thisProcess}`,
  ];
  if (times.wholeRun !== null) lines.push(`  whole run     ${times.wholeRun}`);
  if (r.rowsFile !== null) lines.push(`  rows          ${r.rows ?? 0} in ${r.rowsFile}`);
  for (const [name, path] of Object.entries(r.outputs)) lines.push(`  output        ${name}: ${path}`);
  lines.push(`  logs          ${r.logs}`);
  if (r.errors.groups.length > 0) {
    lines.push('', c.red('Errors that remain:'));
    for (const [i, e] of r.errors.groups.entries()) {
      lines.push(`  ${formatErrorSummary(e)}`);
      const miniBatch = e.miniBatches[0];
      if (i === 0 && miniBatch !== undefined) lines.push(`  reproduce: minibatch debug ${shellQuote(dirname(r.logs))} --mini-batch ${miniBatch}`);
    }
    if (r.errors.more > 0) lines.push(`  and ${r.errors.more} more kinds of error`);
  }
  if (r.firstErrors.length > 0) lines.push(`  tracebacks: ${r.firstErrors[0]?.log ?? ''}`);
  return lines.join('\n') + '\n';
}

/** Green for a success, yellow for one with tolerated failures, red for a failure. */
function paint(r: JobResult, c: Colors): (text: string) => string {
  if (r.status === 'failed') return (t) => c.bold(c.red(t));
  if (r.status === 'interrupted') return c.yellow;
  return r.miniBatches.failed + r.miniBatches.partial > 0 ? c.yellow : c.green;
}
