/**
 * Run ids: `20261127-211804-3f9a` — the UTC date and time the run was created, then 4 random hex
 * digits so that two runs started in the same second differ. Ids sort by creation time, so a
 * listing of `.minibatch/runs/` reads oldest to newest.
 *
 * The digits need not be unguessable, only unlikely to repeat: Math.random, not node:crypto, whose
 * loading (~4 ms) would delay the start of a run's workers (bench/).
 */

export function newRunId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-27T21:18:04.123Z
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `${date}-${time}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}
