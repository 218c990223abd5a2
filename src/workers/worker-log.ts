/**
 * A worker slot's lifecycle log, `logs/sys/workers/<worker>.txt` (docs/ARCHITECTURE.md,
 * "Run directory"): start with pid, ready, init failures with their tracebacks, timeouts and kills,
 * exits with code or signal, replacements. Every process a slot has had appends here, so one file
 * tells the slot's whole story.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { OWNER_ONLY } from '../core/owner-only.js';

/** The run's logs are its owner's alone, as its folder is (docs/ROBUSTNESS.md). */
export const LOG_FILE_MODE = OWNER_ONLY;

export class WorkerLog {
  private readonly stream: WriteStream;
  /** A log that cannot be written must not take the run down; the run's own files will say why. */
  private failed = false;

  /** Opens `path` to append; its folder exists (the pool makes it). */
  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'a', mode: LOG_FILE_MODE });
    this.stream.on('error', () => {
      this.failed = true;
    });
  }

  /** One timestamped line; continuation lines (a traceback) are indented under it. */
  line(text: string): void {
    if (this.failed) return;
    const body = text.replace(/\n+$/, '').replaceAll('\n', '\n    ');
    const entry = `${new Date().toISOString()} ${body}\n`;
    this.stream.write(entry);
  }

  /** Flushes and closes; lines logged after this are dropped. */
  async close(): Promise<void> {
    const stream = this.stream;
    if (stream.closed || stream.destroyed) return;
    const closed = once(stream, 'close').catch(() => undefined);
    stream.end();
    await closed;
  }
}
