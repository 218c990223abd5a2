import { describe, expect, it } from 'vitest';
import { newRunId } from '../../src/run/runId.js';

describe('run ids', () => {
  it('are the UTC date and time, then 4 random hex digits', () => {
    const id = newRunId(new Date('2026-11-27T21:18:04.999Z'));
    expect(id).toMatch(/^20261127-211804-[0-9a-f]{4}$/);
  });

  it('sort by creation time, and differ within a second', () => {
    const earlier = newRunId(new Date('2026-11-27T09:59:59Z'));
    const later = newRunId(new Date('2026-11-27T10:00:00Z'));
    expect([later, earlier].sort()).toEqual([earlier, later]);
    const same = new Set(Array.from({ length: 20 }, () => newRunId(new Date('2026-11-27T10:00:00Z'))));
    expect(same.size).toBeGreaterThan(15);
  });
});
