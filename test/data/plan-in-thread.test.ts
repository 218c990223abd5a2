/** Planning on a thread gives the same plan as planning in place, and fails the same way. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { planBatches } from '../../src/data/plan.js';
import { PLAN_THREAD_SCRIPT, planInThread } from '../../src/data/plan-in-thread.js';
import type { PlannedMiniBatch } from '../../src/data/types.js';
import { numbered, tempDir, writeTree } from './tree.js';

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir());
});
afterEach(() => cleanup());

async function flat(groups: AsyncIterable<readonly PlannedMiniBatch[]>): Promise<PlannedMiniBatch[]> {
  const all: PlannedMiniBatch[] = [];
  for await (const group of groups) all.push(...group);
  return all;
}

describe('planInThread', () => {
  it('runs the built thread script (npm test builds first), not the in-place fallback', () => {
    expect(existsSync(PLAN_THREAD_SCRIPT), `${PLAN_THREAD_SCRIPT}: run \`npm run build\``).toBe(true);
  });

  it('plans exactly what planBatches plans: indexes, inputs, items, keys, across folders and inputs', async () => {
    for (let d = 0; d < 12; d++) writeTree(join(root, 'one', `d${String(d).padStart(2, '0')}`), numbered(70));
    writeTree(join(root, 'two'), numbered(5, 'g'));
    const inputs = [
      { name: 'One', path: join(root, 'one') },
      { name: 'Two', path: join(root, 'two') },
    ];
    const expected = await flat(planBatches(inputs, 3, null));
    expect(expected).toHaveLength(Math.ceil(840 / 3) + 2);
    expect(await flat(planInThread(inputs, 3, null))).toEqual(expected);
    expect(await flat(planInThread(inputs, 3, 7))).toEqual(expected.slice(0, 7));
  });

  it('throws the same UsageError as planning in place for an input it cannot list', async () => {
    const inputs = [{ name: 'Gone', path: join(root, 'missing') }];
    const inPlace = await flat(planBatches(inputs, 1, null)).catch((error: unknown) => error);
    const threaded = await flat(planInThread(inputs, 1, null)).catch((error: unknown) => error);
    expect(inPlace).toBeInstanceOf(UsageError);
    expect(threaded).toBeInstanceOf(UsageError);
    expect((threaded as UsageError).message).toBe((inPlace as UsageError).message);
    expect((threaded as UsageError).message).toContain(join(root, 'missing'));
  });

  it('stops the thread when the reader leaves early, and can plan again afterwards', async () => {
    writeTree(root, numbered(50));
    const inputs = [{ name: 'Data', path: root }];
    for await (const group of planInThread(inputs, 1, null)) {
      expect(group[0]?.index).toBe(0);
      break;
    }
    expect(await flat(planInThread(inputs, 10, null))).toHaveLength(5);
  });
});
