/** The progress line fitted to a terminal's width: what goes first, and what never goes. */
import { describe, expect, it } from 'vitest';
import { fitProgress, progressFields, type ProgressFigures } from '../../src/report/progress-line.js';

const figures: ProgressFigures = {
  miniBatchesDone: 120,
  miniBatches: 200,
  planningDone: true,
  itemsDone: 1200,
  items: 2000,
  failedMiniBatches: 11,
  failedItems: 110,
  running: 8,
  rate: 52.5,
  eta: '15 s',
};

describe('the progress line', () => {
  it('says every field when there is room, the failures unambiguously', () => {
    expect(fitProgress(progressFields(figures), 200)).toBe(
      '120/200 mini-batches | items 1200/2000 | failed 11 mini-batches (110 items) | running 8 | 52.5 items/s | ETA 15 s',
    );
  });

  it('fits 80 columns and less, dropping running, then items, then the rate, then the count done', () => {
    const fields = progressFields(figures);
    expect(fitProgress(fields, 110)).toBe('120/200 mini-batches | items 1200/2000 | failed 11 mini-batches (110 items) | 52.5 items/s | ETA 15 s');
    expect(fitProgress(fields, 100)).toBe('120/200 mini-batches | failed 11 mini-batches (110 items) | 52.5 items/s | ETA 15 s');
    expect(fitProgress(fields, 80)).toBe('120/200 mini-batches | failed 11 mini-batches (110 items) | ETA 15 s');
    expect(fitProgress(fields, 60)).toBe('failed 11 mini-batches (110 items) | ETA 15 s');
    for (const width of [80, 70, 60, 50]) expect(fitProgress(fields, width).length).toBeLessThanOrEqual(width);
  });

  it('never drops the failure count or the ETA, however narrow', () => {
    expect(fitProgress(progressFields(figures), 10)).toBe('failed 11 mini-batches (110 items) | ETA 15 s');
  });

  it('one failed mini-batch of one item reads as such; none is "failed 0"; a growing plan is marked', () => {
    const one = fitProgress(progressFields({ ...figures, failedMiniBatches: 1, failedItems: 1 }), 200);
    expect(one).toContain('| failed 1 mini-batch (1 item) |');
    const none = fitProgress(progressFields({ ...figures, failedMiniBatches: 0, failedItems: 0, planningDone: false }), 200);
    expect(none).toContain('120/200+ mini-batches | items 1200/2000 | failed 0 |');
  });

  it("a Redis run's line says who serves it, kept longer than the rate, and says when no machine does", () => {
    const serving = progressFields({ ...figures, failedMiniBatches: 0, failedItems: 0, serving: { machines: 2, processes: 3 } });
    expect(fitProgress(serving, 200)).toBe('120/200 mini-batches | items 1200/2000 | failed 0 | running 8 | 2 machines, 3 processes | 52.5 items/s | ETA 15 s');
    expect(fitProgress(serving, 80)).toBe('120/200 mini-batches | failed 0 | 2 machines, 3 processes | ETA 15 s');
    expect(fitProgress(serving, 50)).toBe('120/200 mini-batches | failed 0 | ETA 15 s');
    const one = progressFields({ ...figures, serving: { machines: 1, processes: 1 } });
    expect(fitProgress(one, 200)).toContain('| running 8 | 1 machine, 1 process |');
    const none = progressFields({ ...figures, serving: { machines: 0, processes: 0 } });
    expect(fitProgress(none, 200)).toContain('| running 8 | no machine serving |');
  });
});
