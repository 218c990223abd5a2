/** The times in processed_mini_batches.csv: exactly what `Date.toISOString` writes. */
import { describe, expect, it } from 'vitest';
import { IsoClock } from '../../src/report/try-log.js';

describe('IsoClock', () => {
  it('writes the ISO time of every millisecond, across seconds, minutes, days and back in time', () => {
    const clock = new IsoClock();
    const start = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    const times = [
      ...Array.from({ length: 2_100 }, (_, i) => start + i), // over two second, minute, hour, day and year boundaries
      start + 0.7, start + 999.999, // fractions are cut, as toISOString cuts them
      start - 5_000, 0, start, // earlier again
    ];
    for (const ms of times) expect(clock.iso(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});
