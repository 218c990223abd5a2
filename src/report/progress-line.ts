/**
 * The words of a progress line, fitted to a width: the least important fields go first when the
 * terminal is narrow; the failure count and the ETA are never dropped (what a user watches a run for).
 */

import type { Serving } from '../core/tries.js';

export interface ProgressFigures {
  readonly miniBatchesDone: number;
  /** Planned so far; grows while planning. */
  readonly miniBatches: number;
  readonly planningDone: boolean;
  readonly itemsDone: number;
  readonly items: number;
  /** Mini-batches failed after their tries, or returned short. */
  readonly failedMiniBatches: number;
  readonly failedItems: number;
  readonly running: number;
  /** Who serves a run on Redis; absent or null for a run on this machine alone. */
  readonly serving?: Serving | null;
  /** Items per second over this process's own work; null when nothing is known yet. */
  readonly rate: number | null;
  /** `1 min 5 s`, or '-' when unknown. */
  readonly eta: string;
}

interface Field {
  readonly text: string;
  /** Dropped first: the lowest. Infinity: never dropped. */
  readonly keep: number;
}

export const PROGRESS_SEPARATOR = ' | ';

/** The fields of `f`, in the order shown. */
export function progressFields(f: ProgressFigures): Field[] {
  const total = f.planningDone ? `${f.miniBatches}` : `${f.miniBatches}+`;
  const failed =
    f.failedMiniBatches === 0
      ? 'failed 0'
      : `failed ${f.failedMiniBatches} mini-batch${f.failedMiniBatches === 1 ? '' : 'es'} (${f.failedItems} item${f.failedItems === 1 ? '' : 's'})`;
  return [
    { text: `${f.miniBatchesDone}/${total} mini-batches`, keep: 4 },
    { text: `items ${f.itemsDone}/${f.items}`, keep: 2 },
    { text: failed, keep: Infinity },
    { text: `running ${f.running}`, keep: 1 },
    // Whether anyone serves a run on Redis matters more than its rate: with no machine, nothing moves.
    ...(f.serving === undefined || f.serving === null ? [] : [{ text: servingText(f.serving), keep: 3.5 }]),
    { text: f.rate === null ? '- items/s' : `${f.rate.toFixed(1)} items/s`, keep: 3 },
    { text: `ETA ${f.eta}`, keep: Infinity },
  ];
}

/** The fields joined, the least important dropped until the line fits `width` (or only the kept remain). */
export function fitProgress(fields: readonly Field[], width: number): string {
  const shown = [...fields];
  const line = (): string => shown.map((f) => f.text).join(PROGRESS_SEPARATOR);
  while (line().length > width) {
    let drop = -1;
    for (const [i, f] of shown.entries()) {
      if (f.keep !== Infinity && (drop === -1 || f.keep < (shown[drop]?.keep ?? Infinity))) drop = i;
    }
    if (drop === -1) break;
    shown.splice(drop, 1);
  }
  return line();
}

/** `2 machines, 3 processes`; `no machine serving` before any has joined or after all have left. */
function servingText(s: Serving): string {
  if (s.machines === 0) return 'no machine serving';
  return `${s.machines} ${s.machines === 1 ? 'machine' : 'machines'}, ${s.processes} ${s.processes === 1 ? 'process' : 'processes'}`;
}
