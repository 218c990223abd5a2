/**
 * The scheduler hands freshly planned mini-batches to dispatch in memory, up to a number of items;
 * past that it reads the rest back from the ledger. Across that switch every mini-batch runs once,
 * and rows come out in order. A real ledger, real Python workers and a real listing.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { planBatches } from '../../src/data/plan.js';
import { Ledger } from '../../src/ledger/sqlite.js';
import { Scheduler } from '../../src/run/scheduler.js';
import { poolsPerTest, type Sandbox } from '../workers/helpers.js';

let box: Sandbox;
const poolFor = poolsPerTest((b) => (box = b));

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `f${String(i).padStart(3, '0')}`);

describe('Scheduler', () => {
  it('dispatches every planned mini-batch once, from memory and then from the ledger', async () => {
    const files = names(120);
    await box.files(...files);
    const p = await poolFor('ok.py', { processCount: 2 });
    const ledger = Ledger.create(join(box.root, 'ledger'));
    try {
      const tries: number[] = [];
      const scheduler = new Scheduler({
        ledger,
        executor: p.pool,
        settings: { runMaxTry: 1, errorThreshold: -1, allowedFailedCount: null, allowedFailedPercent: null },
        plan: planBatches([{ name: 'data', path: box.data }], 2, null),
        onTry: (t) => tries.push(t.miniBatch),
        freshItemsCap: 30, // a quarter of the files: most mini-batches are read back from the ledger
      });
      const result = await scheduler.run();
      expect(result.stop).toBeNull();
      expect(result.counts).toMatchObject({ miniBatches: 60, succeeded: 60, pending: 0, failed: 0, tries: 60 });
      expect([...tries].sort((a, b) => a - b)).toEqual([...Array(60).keys()]);
      const rows = [...ledger.rowsInOrder()].flatMap((r) => (r.rows.kind === 'lines' ? r.rows.lines : []));
      expect(rows).toEqual(files.map((f) => `ok ${f} ${f.length}`));
    } finally {
      ledger.close();
    }
  });
});
