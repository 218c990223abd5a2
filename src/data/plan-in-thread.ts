/**
 * `planBatches` on a thread of its own (plan-thread.ts), as an async iterable of the same groups
 * in the same order: what `minibatch run` streams into its ledger. A listing problem is thrown as
 * the same `UsageError`; leaving the loop early (a stop) ends the thread.
 *
 * Why a thread: listing stats every file synchronously. On the main thread that work competes with
 * dispatching and committing (a job of many small mini-batches is bound by that thread), and on a
 * slow shared file system each stat would hold up results, timeouts and Redis heartbeats.
 *
 * The thread runs the built `dist/data/plan-thread.js`. Where it is absent (the sources run
 * directly, unbuilt), planning runs on the calling thread instead: slower on large datasets, the
 * same plan.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { planBatches, type PlanInput } from './plan.js';
import type { PlanThreadAck, PlanThreadData, PlanThreadMessage } from './plan-thread.js';
import type { PlannedMiniBatch } from './types.js';

export const PLAN_THREAD_SCRIPT = join(PACKAGE_ROOT, 'dist', 'data', 'plan-thread.js');

/**
 * The thread starts when the plan is first read, once the run's workers are starting: started
 * sooner, its own start-up (a Node environment and its modules) competed with theirs for the CPU
 * and delayed the first mini-batch (bench/).
 */
export async function* planInThread(
  inputs: readonly PlanInput[],
  miniBatchSize: number,
  limit: number | null,
): AsyncGenerator<readonly PlannedMiniBatch[]> {
  if (!existsSync(PLAN_THREAD_SCRIPT)) {
    yield* planBatches(inputs, miniBatchSize, limit);
    return;
  }
  const data: PlanThreadData = { inputs, miniBatchSize, limit };
  const thread = new Worker(PLAN_THREAD_SCRIPT, { workerData: data });
  const messages = new Mailbox(thread);
  try {
    for (;;) {
      const message = await messages.next();
      switch (message.type) {
        case 'planned': {
          yield message.batches;
          const ack: PlanThreadAck = { type: 'took', items: message.items };
          thread.postMessage(ack);
          // Groups may be waiting already: the event loop gets a turn between them, so that the
          // workers' results are read while a backlog of plan is written.
          await nextTurn();
          break;
        }
        case 'done':
          return;
        case 'failed':
          if (message.kind === 'usage') throw new UsageError(message.message);
          throw Object.assign(new Error(`planning failed: ${message.message}`), { stack: message.stack });
        default:
          message satisfies never;
      }
    }
  } finally {
    void thread.terminate();
  }
}

/** The thread's messages, awaited one at a time; its crash or early exit is an error. */
class Mailbox {
  private readonly queue: PlanThreadMessage[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(thread: Worker) {
    thread.on('message', (message: PlanThreadMessage) => this.put(message));
    thread.on('error', (error) => this.fail(error));
    thread.on('exit', (code) => this.fail(new Error(`the planning thread exited (code ${code}) before planning was done`)));
  }

  async next(): Promise<PlanThreadMessage> {
    for (;;) {
      const message = this.queue.shift();
      if (message !== undefined) return message;
      if (this.failure !== null) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private put(message: PlanThreadMessage): void {
    this.queue.push(message);
    this.poke();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
