import { describe, expect, it } from 'vitest';
import { formatTryItems, tryItems } from '../../src/report/try-items.js';

describe('what a failed try held', () => {
  it("a table range names its file and bytes; a partition-key mini-batch its first file's span and how many more files", () => {
    const range = tryItems(['/d/t.csv'], { slice: { start: 10, end: 90, rows: 4, header: [0, 10], headerFile: null }, parquet: false });
    expect(formatTryItems(range)).toBe('/d/t.csv, bytes 10–90 (4 rows)');
    const keys = tryItems(['/d/a.csv', '/d/b.csv', '/d/c.csv'], {
      slice: {
        kind: 'keys',
        keys: ['Store'],
        values: ['1'],
        rows: 7,
        parts: [
          { header: [0, 6], headerFile: null, ranges: [[6, 20], [40, 55]] },
          { header: [0, 6], headerFile: null, ranges: [[6, 12]] },
          { header: [0, 6], headerFile: null, ranges: [[30, 40]] },
        ],
      },
      parquet: false,
    });
    expect(keys.count).toBe(7);
    expect(formatTryItems(keys)).toBe('/d/a.csv, bytes 6–55 and 2 more files (7 rows)');
  });
});
