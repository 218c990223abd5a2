/**
 * The progress reporter's throughput: over this process's own work (a resumed run's earlier items
 * left out), and none while nothing has succeeded, as `logs/job_progress_overview.txt` shows it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { LedgerCounts } from '../../src/ledger/types.js';
import { ProgressReporter } from '../../src/report/progress.js';
import { tempDir } from '../data/tree.js';

const tmp = tempDir('minibatch-progress-');
afterAll(() => tmp.cleanup());

const counts = (c: Partial<LedgerCounts>): LedgerCounts => ({
  miniBatches: 10, items: 100, pending: 10, succeeded: 0, partial: 0, failed: 0, succeededItems: 0, failedItems: 0, tries: 0, ...c,
});

/** The overview line the reporter writes when it stops, after the run went from `from` to `to`. */
function overviewAfter(name: string, from: LedgerCounts, to: LedgerCounts): string {
  let now = from;
  const file = join(tmp.dir, `${name}.txt`);
  const stream = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
  const progress = new ProgressReporter({ overviewFile: file, stream, plain: true, source: () => ({ counts: now, planningDone: true, running: 0, serving: null }) });
  now = to;
  progress.stop();
  return readFileSync(file, 'utf8');
}

describe('the progress reporter', () => {
  it('shows no items/s while only failures were settled, in this process', () => {
    // A resumed run whose earlier process succeeded 40 items; this one has failed 20 and succeeded none.
    const line = overviewAfter('failures', counts({ pending: 6, succeeded: 4, succeededItems: 40 }), counts({ pending: 4, succeeded: 4, failed: 2, succeededItems: 40, failedItems: 20 }));
    expect(line).toMatch(/items 60\/100, 20 failed; running 0; - items\/s; ETA /);
  });

  it("shows the rate of this process's items once one succeeded", () => {
    const line = overviewAfter('success', counts({ pending: 6, succeeded: 4, succeededItems: 40 }), counts({ pending: 5, succeeded: 5, succeededItems: 50 }));
    expect(line).toMatch(/items 50\/100, 0 failed; running 0; \d+(\.\d)? items\/s; ETA /);
  });
});
