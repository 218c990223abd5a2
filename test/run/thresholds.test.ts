import { describe, expect, it } from 'vitest';
import { breachedThreshold } from '../../src/run/thresholds.js';

const none = { errorThreshold: -1, allowedFailedCount: null, allowedFailedPercent: null };

describe('thresholds fail a run only when strictly exceeded', () => {
  it('errorThreshold counts failed items: equal passes, one more fails', () => {
    const limits = { ...none, errorThreshold: 3 };
    expect(breachedThreshold(limits, { planned: 10, failedMiniBatches: 1, failedItems: 3 }, false)).toBeNull();
    expect(breachedThreshold(limits, { planned: 10, failedMiniBatches: 1, failedItems: 4 }, false)).toMatchObject({
      setting: 'errorThreshold',
      limit: 3,
      found: 4,
      message: '4 items failed, more than errorThreshold 3 (by 1)',
    });
  });

  it('errorThreshold -1 ignores failed items', () => {
    expect(breachedThreshold(none, { planned: 10, failedMiniBatches: 10, failedItems: 100 }, true)).toBeNull();
  });

  it('allowedFailedCount counts failed mini-batches', () => {
    const limits = { ...none, allowedFailedCount: 2 };
    expect(breachedThreshold(limits, { planned: 10, failedMiniBatches: 2, failedItems: 20 }, false)).toBeNull();
    expect(breachedThreshold(limits, { planned: 10, failedMiniBatches: 3, failedItems: 30 }, false)?.message).toBe(
      '3 mini-batches failed, more than allowedFailedCount 2 (by 1)',
    );
  });

  it('allowedFailedPercent is judged only once everything is dispatched', () => {
    const limits = { ...none, allowedFailedPercent: 10 };
    const counts = { planned: 20, failedMiniBatches: 3, failedItems: 3 };
    expect(breachedThreshold(limits, counts, false)).toBeNull();
    expect(breachedThreshold(limits, counts, true)?.message).toBe(
      '15% of mini-batches failed (3 of 20), more than allowedFailedPercent 10%',
    );
    expect(breachedThreshold(limits, { ...counts, failedMiniBatches: 2 }, true)).toBeNull();
  });
});
