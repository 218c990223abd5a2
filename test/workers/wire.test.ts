/** The protocol's framing and validation (docs/ARCHITECTURE.md, "Host channels"). */
import { describe, expect, it } from 'vitest';

import type { RunRequest } from '../../src/workers/protocol.js';
import { encodeMessage, encodeRun, LineSplitter, parseWorkerMessage } from '../../src/workers/wire.js';

function split(chunks: string[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter();
  for (const chunk of chunks) splitter.push(chunk, (line) => lines.push(line));
  return lines;
}

describe('LineSplitter', () => {
  it('joins lines split across chunks and splits chunks holding several lines', () => {
    expect(split(['a\nb', 'c\n', 'd', 'e', 'f\ng\n', '\nh'])).toEqual(['a', 'bc', 'def', 'g', '']);
  });

  it('handles a long line in many chunks', () => {
    const long = 'x'.repeat(100_000);
    const chunks = long.match(/.{1,1000}/g) ?? [];
    expect(split([...chunks, '\nnext\n'])).toEqual([long, 'next']);
  });
});

describe('encodeRun', () => {
  const runs: RunRequest[] = [
    { type: 'run', id: '1', attempt: 1, items: ['/data/a.txt'], context: { minibatch_index: 0, partition_key_value: null, dataset_root: null }, table: null },
    {
      type: 'run',
      id: '42',
      attempt: 3,
      items: ['/data/"quoted"\\back\nline.txt', '/données/é😀\u2028.bin', ''],
      context: { minibatch_index: 123_456, partition_key_value: { region: 'eu "west"' }, dataset_root: '/data/"q"/é' },
      table: null,
    },
    { type: 'run', id: '7', attempt: 2, items: [], context: { minibatch_index: 9, partition_key_value: null, dataset_root: null }, table: null },
  ];

  it.each(runs)('writes the same line as the generic encoder (run $id)', (run) => {
    expect(encodeRun(run)).toBe(encodeMessage(run));
    expect(JSON.parse(encodeRun(run))).toEqual(run);
  });
});

describe('parseWorkerMessage', () => {
  it('accepts a well-formed message', () => {
    const line = '{"type":"result","id":"3","succeeded":1,"rows":null,"startedAt":1765000000000.5,"durationMs":0.5}';
    expect(parseWorkerMessage(line)).toEqual({
      ok: true,
      message: { type: 'result', id: '3', succeeded: 1, rows: null, startedAt: 1765000000000.5, durationMs: 0.5 },
    });
  });

  it.each([
    ['not json', 'not JSON: not json'],
    ['[1]', 'not a message object: [1]'],
    ['{"type":"launch"}', 'unknown message type: {"type":"launch"}'],
    ['{"type":"result","id":"1"}', 'malformed result message: {"type":"result","id":"1"}'],
    ['{"type":"result","id":"1","succeeded":1,"rows":null,"durationMs":1}', 'malformed result message'],
    ['{"type":"started","id":"1"}', 'unknown message type'],
    ['{"type":"run_failed","id":"1","failure":"oops","error":{"type":"E","message":"","traceback":""},"durationMs":1}', 'malformed run_failed message'],
  ])('refuses %s', (line, problem) => {
    const parsed = parseWorkerMessage(line);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toContain(problem);
  });
});
