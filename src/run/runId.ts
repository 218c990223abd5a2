/**
 * Run ids: `20261127-211804-3f9a` — the UTC date and time the run was created, then 4 random hex
 * digits so that two runs started in the same second differ. Ids sort by creation time, so a
 * listing of `.minibatch/runs/` reads oldest to newest.
 */
import { randomBytes } from 'node:crypto';

export function newRunId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-27T21:18:04.123Z
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `${date}-${time}-${randomBytes(2).toString('hex')}`;
}
