/**
 * The planning thread (issue 3, "Performance"): lists, stats, keys and cuts a file dataset into
 * mini-batches off the orchestrator's main thread, which then only writes the plan and dispatches.
 * On a job of many small mini-batches the main thread is the bottleneck, and listing a file costs
 * as much there as the rest of running it (bench/). `planInThread` (plan-in-thread.ts) starts it.
 *
 * It plans exactly as `planBatches` does, in the same order, and stays at most WINDOW_ITEMS items
 * ahead of what the main thread has taken, so memory stays bounded however large the dataset.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import { planBatches, type PlanInput } from './plan.js';
import type { PlannedMiniBatch } from './types.js';

/** What the thread is given (`workerData`). */
export interface PlanThreadData {
  readonly inputs: readonly PlanInput[];
  readonly miniBatchSize: number;
  readonly limit: number | null;
}

export type PlanThreadMessage =
  | { readonly type: 'planned'; readonly batches: readonly PlannedMiniBatch[]; readonly items: number }
  | { readonly type: 'done' }
  /** `usage`: a listing problem a user can fix (a `UsageError`, exit 2); `internal`: a bug. */
  | { readonly type: 'failed'; readonly kind: 'usage' | 'internal'; readonly message: string; readonly stack: string };

/** The main thread took a group of `items` items: that much more may be planned ahead. */
export interface PlanThreadAck {
  readonly type: 'took';
  readonly items: number;
}

/** Items planned ahead of what the main thread took, at most (the scheduler's in-memory cap). */
const WINDOW_ITEMS = 32_768;
/** A group is posted once it holds this many mini-batches, or its first waited this long. */
const GROUP_MINI_BATCHES = 512;
const GROUP_MS = 20;

if (!isMainThread && parentPort !== null) {
  await planToParent(parentPort, workerData as PlanThreadData);
}

async function planToParent(port: NonNullable<typeof parentPort>, data: PlanThreadData): Promise<void> {
  const post = (message: PlanThreadMessage): void => port.postMessage(message);
  let ahead = 0;
  let wake: (() => void) | null = null;
  port.on('message', (ack: PlanThreadAck) => {
    ahead -= ack.items;
    const resume = wake;
    wake = null;
    resume?.();
  });
  let group: PlannedMiniBatch[] = [];
  let groupItems = 0;
  let groupSince = 0;
  let first = true;
  const flush = (): void => {
    if (group.length === 0) return;
    post({ type: 'planned', batches: group, items: groupItems });
    ahead += groupItems;
    group = [];
    groupItems = 0;
  };
  try {
    for await (const planned of planBatches(data.inputs, data.miniBatchSize, data.limit)) {
      if (group.length === 0) groupSince = Date.now();
      for (const mb of planned) {
        group.push(mb);
        groupItems += mb.items.length;
      }
      // The first mini-batch goes at once, so dispatch starts before listing ends.
      if (first || group.length >= GROUP_MINI_BATCHES || Date.now() - groupSince >= GROUP_MS) flush();
      first = false;
      while (ahead >= WINDOW_ITEMS) await new Promise<void>((resolve) => (wake = resolve));
    }
    flush();
    post({ type: 'done' });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', kind: error instanceof UsageError ? 'usage' : 'internal', message: e.message, stack: e.stack ?? '' });
  }
  port.close();
}
