/** The line of tries one worker holds (try-line.ts): prefetch depth, order, withdrawing. */
import { describe, expect, it } from 'vitest';

import type { TryOutcome } from '../../src/core/tries.js';
import { TryLine } from '../../src/workers/try-line.js';
import { task } from './helpers.js';

const ignore = (_: TryOutcome): void => undefined;

function lineOf(count: number): TryLine {
  const line = new TryLine();
  for (let i = 0; i < count; i++) line.add(task([`f${i}`], i), ignore);
  return line;
}

const ids = (tries: readonly { id: string }[]): string[] => tries.map((t) => t.id);

describe('TryLine', () => {
  it('prefetches one try until run() is known to be short, then about 10 ms of them, up to 256', () => {
    const line = lineOf(1);
    expect(line.depth).toBe(1);
    line.ran(40);
    expect(line.depth).toBe(1);
    const short = new TryLine();
    short.ran(2);
    expect(short.depth).toBe(5);
    const trivial = new TryLine();
    trivial.ran(0.01);
    expect(trivial.depth).toBe(256);
    trivial.ran(1000); // turning slow: the line shrinks back to one
    expect(trivial.depth).toBe(1);
  });

  it('refills a deep line only once it is half empty, so refills come in groups', () => {
    const line = lineOf(1);
    line.ran(1); // depth 10
    expect(line.room).toBe(10);
    for (let i = 0; i < 10; i++) line.add(task(['x'], 10 + i), ignore);
    expect(line.room).toBe(0);
    for (let i = 0; i < 4; i++) line.take(line.running?.id ?? '');
    expect(line.room).toBe(0); // 6 waiting of 10
    line.take(line.running?.id ?? '');
    expect(line.room).toBe(5); // 5 waiting: refill to 10
  });

  it('answers in order: only the head can be taken, and the next becomes the head', () => {
    const line = lineOf(3);
    expect(line.take('2')).toBeNull();
    expect(line.take('1')?.task.miniBatch).toBe(0);
    expect(line.running?.id).toBe('2');
    expect(line.take('2')?.task.miniBatch).toBe(1);
    expect(line.take('3')?.task.miniBatch).toBe(2);
    expect(line.empty).toBe(true);
  });

  it('withdraws the newest waiting tries, each once, and takes them back out of turn', () => {
    const line = lineOf(6); // 1 running, 5 waiting
    expect(ids(line.withdraw(2))).toEqual(['6', '5']);
    expect(line.waitingCount).toBe(3);
    expect(ids(line.withdraw(2))).toEqual(['4', '3']);
    expect(line.takeWaiting('5')?.task.miniBatch).toBe(4);
    expect(line.takeWaiting('5')).toBeNull();
    expect(ids(line.withdrawAll())).toEqual(['2']);
    expect(line.waitingCount).toBe(0);
    // A withdrawn try that ran anyway is answered in its turn.
    expect(line.take('1')?.id).toBe('1');
    expect(line.take('2')?.id).toBe('2');
    expect(line.waitingCount).toBe(0);
  });

  it('tells what is left to run behind the run its host is in, and the work that holds', () => {
    const line = lineOf(6); // tries 1 … 6
    line.ran(2); // recent run() calls took 2 ms
    // The host answers in groups: it may be running try 4 while only try 1 was answered.
    expect(line.backlog({ id: '4', startedMs: 100, ended: false }, 100.5)).toEqual({ tries: 2, workMs: 4, overloaded: false });
    // A run in progress slower than the recent ones is what counts, past a stall of 5 ms (a process
    // on a busy machine may be off its CPU that long).
    expect(line.backlog({ id: '4', startedMs: 100, ended: false }, 106)).toEqual({ tries: 2, workMs: 4, overloaded: false });
    expect(line.backlog({ id: '4', startedMs: 100, ended: false }, 130)).toEqual({ tries: 2, workMs: 50, overloaded: true });
    // Withdrawn tries are no longer this line's work (and one try left is not worth taking back).
    line.withdraw(1);
    expect(line.backlog({ id: '4', startedMs: 100, ended: false }, 130)).toEqual({ tries: 1, workMs: 25, overloaded: false });
    // Once it has ended (the host waits for its pipe), the time since it started is no sign of slowness.
    expect(line.backlog({ id: '4', startedMs: 100, ended: true }, 130)).toEqual({ tries: 1, workMs: 2, overloaded: false });
    // No run yet, or one this line no longer holds (answered): the head, not under way.
    expect(line.backlog(null, 130)).toEqual({ tries: 4, workMs: 8, overloaded: false });
    expect(line.backlog({ id: '99', startedMs: 0, ended: false }, 130)).toEqual({ tries: 4, workMs: 8, overloaded: false });
  });

  it('gives back everything it held when the process is gone', () => {
    const line = lineOf(3);
    line.withdraw(1);
    const held = line.clear();
    expect(held.running?.id).toBe('1');
    expect(ids(held.waiting)).toEqual(['2', '3']);
    expect(line.empty).toBe(true);
    expect(line.waitingCount).toBe(0);
  });
});
