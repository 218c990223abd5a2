/**
 * Whether Redis still answers, watched on a connection of its own. The clients BullMQ uses wait
 * for every reply without a deadline, as they must to wait out a Redis restart (connection.ts):
 * a server that stops answering mid-run (paused, overloaded, behind a stuck proxy) would hold them,
 * and the run, forever. A PING with a deadline on a separate connection tells a silent server from
 * a slow command without putting a timeout on the commands themselves; what to do about the
 * silence (wait, stop, reconnect) is the owner's choice.
 *
 * A refused or closed connection is not silence: that is a server restarting or down, which the
 * durable clients report and wait out. Only an unanswered PING (or an unanswered connect) is.
 */
import { Redis } from 'ioredis';
import { probeOptions } from './check.js';
import type { RedisTarget } from './url.js';

export interface LivenessOptions {
  readonly target: RedisTarget;
  /** How long a PING may go unanswered before Redis counts as silent. */
  readonly answerTimeoutMs: number;
  /** The pause between PINGs. */
  readonly everyMs: number;
  /** Shown by `CLIENT LIST`. */
  readonly connectionName: string;
  /** Redis stopped answering; `sinceMs` is when the unanswered PING was sent (epoch ms). Once per outage. */
  readonly onSilent: (sinceMs: number) => void;
  /** Redis answers again after an outage that lasted `silentForMs`. */
  readonly onAnswering: (silentForMs: number) => void;
}

export class RedisLiveness {
  private client: Redis | null = null;
  /** The last connection error of the probe's client (a connect timeout comes only as an event). */
  private lastError: Error | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** When the first unanswered PING of the current outage was sent; null while Redis answers. */
  private silentSince: number | null = null;

  constructor(private readonly options: LivenessOptions) {}

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.client?.disconnect();
    this.client = null;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.probe(), delayMs);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    const sentAt = Date.now();
    const client = (this.client ??= this.connect());
    this.lastError = null;
    try {
      await client.ping();
      if (this.silentSince !== null && !this.stopped) this.options.onAnswering(Date.now() - this.silentSince);
      this.silentSince = null;
    } catch (error) {
      // A connection that failed once is not trusted again: the next PING opens a new one.
      client.disconnect();
      if (this.client === client) this.client = null;
      if ((isTimeout(error) || isTimeout(this.lastError)) && this.silentSince === null && !this.stopped) {
        this.silentSince = sentAt;
        this.options.onSilent(sentAt);
      }
    }
    this.schedule(this.options.everyMs);
  }

  private connect(): Redis {
    const { target, answerTimeoutMs } = this.options;
    // Each PING's deadline runs from the moment it is sent (queued until the connection is ready).
    const client = new Redis({ ...probeOptions(target, answerTimeoutMs, answerTimeoutMs), connectionName: this.options.connectionName });
    // What failed is the probe's answer, not a line to print.
    client.on('error', (error: Error) => {
      this.lastError = error;
    });
    return client;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && /Command timed out|ETIMEDOUT/.test(error.message);
}
