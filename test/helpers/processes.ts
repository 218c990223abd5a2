/**
 * Whether a process is still there, for tests that check nothing is left behind (no orphaned
 * Python processes, ever: , docs/ARCHITECTURE.md, "Host channels").
 */
import { existsSync, readFileSync } from 'node:fs';

/** Alive and not a zombie (a reparented zombie, waiting for a reaper a container may lack, still answers kill(pid, 0)). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    const state = readFileSync(stat, 'utf8').replace(/^.*\) /s, '').charAt(0);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
