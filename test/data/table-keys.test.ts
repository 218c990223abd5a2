/**
 * Planning a table by partition keys (src/data/table-keys.ts) on real files: key fields read as
 * pandas reads them (quotes, doubled quotes, a delimiter inside quotes), across the planner's 1 MB
 * read boundary; combinations sorted by value; ranges that hold the combination's records.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeySlice, TableRead } from '../../src/core/table-format.js';
import { checkTableKeys, planTableByKeys } from '../../src/data/table-keys.js';
import type { PlannedMiniBatch } from '../../src/data/types.js';
import { parseTableDeclaration } from '../../src/spec/input-format.js';
import { tempDir } from './tree.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('minibatch-table-keys-');
});
afterAll(() => tmp.cleanup());

function declared(text: string): TableRead {
  const parsed = parseTableDeclaration(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
}

async function plan(path: string, read: TableRead, keys: readonly string[]): Promise<PlannedMiniBatch[]> {
  const out: PlannedMiniBatch[] = [];
  for await (const batch of planTableByKeys({ name: 'Data', path, read }, keys, 0, null)) out.push(...batch);
  return out;
}

function keySlice(mb: PlannedMiniBatch | undefined): KeySlice {
  const slice = mb?.slice;
  if (slice === null || slice === undefined || !('kind' in slice)) throw new Error('not a partition-key mini-batch');
  return slice;
}

describe('planTableByKeys', () => {
  it('reads quoted key fields across the 1 MB read boundary; sorts numbers first, then text; a rare key gets exactly its record', async () => {
    const keys = ['"a,""b"""', 'plain', '12'];
    let text = 'pad,key,id\r\n';
    let rare: [number, number] = [0, 0];
    for (let i = 0; i < 30_000; i++) {
      if (i === 20_000) {
        const record = `${'r'.repeat(i % 40)},rare,${i}\r\n`;
        rare = [Buffer.byteLength(text), Buffer.byteLength(text) + Buffer.byteLength(record)];
        text += record;
        continue;
      }
      text += `"${'p'.repeat(i % 41)}\r\nq",${keys[i % 3]},${i}\r\n`;
    }
    expect(Buffer.byteLength(text)).toBeGreaterThan(1024 * 1024);
    const file = join(tmp.dir, 'keys.csv');
    writeFileSync(file, text);
    const planned = await plan(file, declared('csv'), ['key']);
    expect(planned.map((mb) => keySlice(mb).values)).toEqual([['12'], ['a,"b"'], ['plain'], ['rare']]);
    expect(planned.map((mb) => keySlice(mb).rows)).toEqual([9_999, 10_000, 10_000, 1]);
    expect(keySlice(planned[3]).parts).toEqual([{ header: [0, 12], headerFile: null, ranges: [rare] }]);
    expect(new Set(planned.map((mb) => mb.key)).size).toBe(4);
    // Ranges stay few, whatever the rows: neighbours merged.
    expect(keySlice(planned[0]).parts[0]?.ranges.length).toBeLessThanOrEqual(32);
  });

  it('a key that is not a column is refused, naming the key, the input, the file and the columns', async () => {
    const file = join(tmp.dir, 'cols.csv');
    writeFileSync(file, 'a,b\n1,2\n');
    await expect(checkTableKeys({ name: 'Data', path: file, read: declared('csv') }, ['a', 'c'])).rejects.toThrow(
      `partition key \`c\` is not a column of input \`Data\` (${file}): its columns are \`a\`, \`b\``,
    );
  });
});
