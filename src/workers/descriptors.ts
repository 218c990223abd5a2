/**
 * This process's limit of open files (`ulimit -n`). Node raises its soft limit to the hard one as it
 * starts (src/node.cc, "Raise the open file descriptor limit"), so the limit read here is the most
 * this process can have; the workers inherit it. Each worker costs the orchestrator a few
 * descriptors (its two pipes, its run-state file, its log), so a large --processes under a small
 * hard limit runs out while starting workers.
 */
import { readFileSync } from 'node:fs';

/** Descriptors the orchestrator holds per local worker: fd 3 and fd 4's pipe ends, the run-state file, its lifecycle log. */
export const DESCRIPTORS_PER_WORKER = 4;

/** The soft limit on open files, or null where `/proc/self/limits` cannot be read (not Linux). */
export function openFilesLimit(): number | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined) return null;
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}
