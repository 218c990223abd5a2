import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRowsFile } from '../../src/run/rows-file.js';

const dir = mkdtempSync(join(tmpdir(), 'mb-rows-'));

describe('the append_row file', () => {
  it('txt: one line per row, in the order given, and no partial file left behind', () => {
    const file = join(dir, 'parallel_run_step.txt');
    const result = writeRowsFile(file, 'txt', [
      { index: 0, rows: { kind: 'lines', lines: ['a.png: 3', 'b.png: 7'] } },
      { index: 1, rows: { kind: 'lines', lines: ['c.png: 1'] } },
    ]);
    expect(readFileSync(file, 'utf8')).toBe('a.png: 3\nb.png: 7\nc.png: 1\n');
    expect(result.rows).toBe(3);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });

  it('csv: a header from the first table, quoted fields, and misfits left out', () => {
    const file = join(dir, 'out.csv');
    const result = writeRowsFile(file, 'csv', [
      { index: 0, rows: { kind: 'table', columns: ['file', 'note'], values: [['a', 'x, "y"'], ['b', null]] } },
      { index: 1, rows: { kind: 'table', columns: ['file', 'other'], values: [['c', 1]] } },
      { index: 2, rows: { kind: 'table', columns: ['file', 'note'], values: [['d', true]] } },
    ]);
    expect(readFileSync(file, 'utf8')).toBe('file,note\na,"x, ""y"""\nb,\nd,True\n');
    expect(result.misfits).toEqual([{ index: 1, columns: ['file', 'other'] }]);
  });

  it('jsonl: one object per row keyed by the header', () => {
    const file = join(dir, 'out.jsonl');
    writeRowsFile(file, 'jsonl', [
      { index: 0, rows: { kind: 'table', columns: ['result'], values: [[1], ['two']] } },
    ]);
    expect(readFileSync(file, 'utf8')).toBe('{"result":1}\n{"result":"two"}\n');
  });
});
