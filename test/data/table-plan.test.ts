/**
 * Planning a table (src/data/table-plan.ts) on real files: every mini-batch is whole records, also
 * where a quoted line break or a CRLF falls on the planner's 1 MB read boundary.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableRead } from '../../src/core/table-format.js';
import { parseTableDeclaration } from '../../src/spec/input-format.js';
import { planTable, type TableBatchSize } from '../../src/data/table-plan.js';
import type { PlannedMiniBatch } from '../../src/data/types.js';
import { tempDir } from './tree.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('minibatch-table-plan-');
});
afterAll(() => tmp.cleanup());

function declared(text: string): TableRead {
  const parsed = parseTableDeclaration(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
}

async function plan(file: string, read: TableRead, size: TableBatchSize): Promise<PlannedMiniBatch[]> {
  const out: PlannedMiniBatch[] = [];
  for await (const batch of planTable({ name: 'Data', path: file, read }, size, 0, null)) out.push(...batch);
  return out;
}

/** The records of `text` as the planner's slices cut them. */
function cut(text: Buffer, planned: readonly PlannedMiniBatch[]): string[] {
  return planned.map((mb) => {
    if (mb.slice === null || 'kind' in mb.slice) throw new Error('not a range of a table');
    return text.subarray(mb.slice.start, mb.slice.end).toString('utf8');
  });
}

describe('planTable', () => {
  it('cuts only between records, across the 1 MB read boundary, with quoted line breaks and CRLF', async () => {
    // ~2.4 MB: every third record has a quoted field holding a CRLF; lengths vary so boundaries fall anywhere.
    const records = Array.from({ length: 30_000 }, (_, i) => (i % 3 === 0 ? `${i},"a\r\nb ""${'q'.repeat(i % 50)}"""\r\n` : `${i},${'x'.repeat(i % 97)}\r\n`));
    const text = Buffer.from(`id,text\r\n${records.join('')}`);
    const file = join(tmp.dir, 'quoted.csv');
    writeFileSync(file, text);
    const planned = await plan(file, declared('csv'), { unit: 'bytes', bytes: 10_000 });
    const pieces = cut(readFileSync(file), planned);
    expect(pieces.join('')).toBe(records.join(''));
    // Each piece starts at a record: its first field is the next row number.
    let next = 0;
    for (const [i, piece] of pieces.entries()) {
      expect(piece.startsWith(`${next},`)).toBe(true);
      next += planned[i]?.slice?.rows ?? 0;
      expect(piece.length).toBeLessThanOrEqual(10_000);
    }
    expect(next).toBe(30_000);
    expect(planned.every((mb) => mb.slice !== null && !('kind' in mb.slice) && mb.slice.header?.join('-') === '0-9')).toBe(true);
    expect(new Set(planned.map((mb) => mb.key)).size).toBe(planned.length);
  });

  it('without quotes honoured, a line break is a record end; rows mode counts records, not blank lines', async () => {
    const file = join(tmp.dir, 'lines.csv');
    writeFileSync(file, 'a\n"1\n2"\n\n3\n4');
    const multi = await plan(file, declared('csv'), { unit: 'rows', rows: 2 });
    expect(cut(readFileSync(file), multi)).toEqual(['"1\n2"\n\n3\n', '4']);
    const single = await plan(file, declared('csv,support_multi_line=false'), { unit: 'rows', rows: 2 });
    expect(cut(readFileSync(file), single)).toEqual(['"1\n2"\n', '3\n4']);
    expect(single.map((mb) => mb.slice?.rows)).toEqual([2, 2]);
  });

  it('no header: the first record is a row; JSON Lines cut on lines', async () => {
    const file = join(tmp.dir, 'plain.jsonl');
    writeFileSync(file, '{"a":1}\n{"a":2}\n{"a":3}\n');
    const jsonl = await plan(file, declared('jsonl'), { unit: 'bytes', bytes: 16 });
    expect(cut(readFileSync(file), jsonl)).toEqual(['{"a":1}\n{"a":2}\n', '{"a":3}\n']);
    expect(jsonl.every((mb) => mb.slice !== null && !('kind' in mb.slice) && mb.slice.header === null)).toBe(true);
    const csv = await plan(file, declared('csv,header=no_header,delimiter=pipe'), { unit: 'rows', rows: 3 });
    expect(csv.map((mb) => mb.slice?.rows)).toEqual([3]);
  });

  it('UTF-16 and UTF-32, either byte order, with or without a BOM: records end only at whole line-break code units', async () => {
    // U+010A is `0A 01` in UTF-16LE and U+0A0A `0A 0A`: bytes 0x0A that are no line break; an emoji is a surrogate pair.
    const records = Array.from({ length: 12_000 }, (_, i) => (i % 3 === 0 ? `${i},"Ċ\r\nਊ ""😀${'q'.repeat(i % 50)}"""\r\n` : `${i},${'Ċ'.repeat(i % 97)}\r\n`));
    const text = `id,text\r\n${records.join('')}`;
    const codePoints = (t: string): number[] => Array.from(t, (c) => c.codePointAt(0) ?? 0);
    const encodings: { name: string; encoding: 'utf16' | 'utf32'; bytes: Buffer; decode: (b: Buffer) => string }[] = [
      { name: 'utf16le-bom', encoding: 'utf16', bytes: Buffer.from(`\ufeff${text}`, 'utf16le'), decode: (b) => b.toString('utf16le') },
      { name: 'utf16le', encoding: 'utf16', bytes: Buffer.from(text, 'utf16le'), decode: (b) => b.toString('utf16le') },
      { name: 'utf16be-bom', encoding: 'utf16', bytes: Buffer.from(`\ufeff${text}`, 'utf16le').swap16(), decode: (b) => Buffer.from(b).swap16().toString('utf16le') },
      {
        name: 'utf32be-bom',
        encoding: 'utf32',
        bytes: Buffer.from(new Uint32Array([0xfeff, ...codePoints(text)]).buffer).swap32(),
        decode: (b) => Array.from({ length: b.length / 4 }, (_, i) => String.fromCodePoint(b.readUInt32BE(i * 4))).join(''),
      },
    ];
    for (const { name, encoding, bytes, decode } of encodings) {
      const file = join(tmp.dir, `${name}.csv`);
      writeFileSync(file, bytes);
      const planned = await plan(file, declared(`csv,encoding=${encoding}`), { unit: 'bytes', bytes: 20_000 });
      const ranges = planned.map((mb) => {
        if (mb.slice === null || 'kind' in mb.slice) throw new Error('not a range of a table');
        return mb.slice;
      });
      const pieces = ranges.map((slice) => decode(bytes.subarray(slice.start, slice.end)));
      expect(pieces.join(''), name).toBe(records.join(''));
      let next = 0;
      for (const [i, piece] of pieces.entries()) {
        expect(piece.startsWith(`${next},`), `${name} piece ${i}`).toBe(true);
        next += planned[i]?.slice?.rows ?? 0;
      }
      expect(next, name).toBe(12_000);
      const header = ranges[0]?.header ?? [0, 0];
      expect(decode(bytes.subarray(header[0], header[1])), name).toBe('id,text\r\n');
    }
  });
});
