/** An MLTable's partition format (`{user}/{season}/{genre}.wav`): the values a file's path holds. */
import { describe, expect, it } from 'vitest';
import { parsePartitionFormat, partitionValues, type PartitionFormat } from '../../src/data/partition-format.js';

function format(text: string): PartitionFormat {
  const parsed = parsePartitionFormat(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.format;
}

describe('partition formats', () => {
  it('takes each field from the end of the path, at a folder boundary; a field holds no `/` or `.`', () => {
    const f = format('{user}/{season}/{genre}.wav');
    expect(f.fields).toEqual(['user', 'season', 'genre']);
    expect(partitionValues(f, 'u1/spring/rock.wav')).toEqual({ user: 'u1', season: 'spring', genre: 'rock' });
    expect(partitionValues(f, 'archive/u1/spring/rock.wav')).toEqual({ user: 'u1', season: 'spring', genre: 'rock' });
    expect(partitionValues(f, 'u1/spring/rock.live.wav')).toBeNull();
    expect(partitionValues(f, 'spring/rock.wav')).toBeNull();
    expect(partitionValues(f, 'u1/spring/rock.mp3')).toBeNull();
  });

  it('`*` is any text, a leading `/` changes nothing, `{{` is a brace, a repeated field must repeat its value', () => {
    expect(partitionValues(format('/{Store}/*/*.csv'), 'S1/2024/01/x.csv')).toEqual({ Store: 'S1' });
    expect(partitionValues(format('{a}/{{x}}.txt'), 'v/{x}.txt')).toEqual({ a: 'v' });
    const twice = format('{a}/{a}.txt');
    expect(partitionValues(twice, 'q/q.txt')).toEqual({ a: 'q' });
    expect(partitionValues(twice, 'q/r.txt')).toBeNull();
  });

  it('refuses a pattern without fields, an unclosed brace, and datetime fields, saying where', () => {
    expect(parsePartitionFormat('*.csv')).toMatchObject({ ok: false, problem: expect.stringContaining('names no field') as unknown });
    expect(parsePartitionFormat('{a}/{b')).toMatchObject({ ok: false, offset: 4 });
    expect(parsePartitionFormat('{d:yyyy/MM/dd}/x')).toMatchObject({ ok: false, problem: expect.stringContaining('a datetime field') as unknown });
  });
});
