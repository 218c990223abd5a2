/**
 * A worker slot's lifecycle log, `logs/sys/workers/<worker>.txt` (docs/ARCHITECTURE.md, "Run directory"): start with pid, ready,
 * init failures with their tracebacks, timeouts and kills, exits with code or signal, replacements.
 * Every process a slot has had appends here, so one file tells the slot's whole story.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export class WorkerLog {
  private stream: WriteStream | null = null;
  /** Lines written before the file is open. */
  private early: string[] = [];
  /** A log that cannot be written must not take the run down; the run's own files will say why. */
  private failed = false;
  private readonly opened: Promise<void>;

  constructor(readonly path: string) {
    this.opened = mkdir(dirname(path), { recursive: true }).then(
      () => {
        const stream = createWriteStream(path, { flags: 'a' });
        stream.on('error', () => {
          this.failed = true;
        });
        if (this.early.length > 0) stream.write(this.early.join(''));
        this.early = [];
        this.stream = stream;
      },
      () => {
        this.failed = true;
      },
    );
  }

  /** One timestamped line; continuation lines (a traceback) are indented under it. */
  line(text: string): void {
    if (this.failed) return;
    const body = text.replace(/\n+$/, '').replaceAll('\n', '\n    ');
    const entry = `${new Date().toISOString()} ${body}\n`;
    if (this.stream === null) this.early.push(entry);
    else this.stream.write(entry);
  }

  /** Flushes and closes; lines logged after this are dropped. */
  async close(): Promise<void> {
    await this.opened;
    const stream = this.stream;
    if (stream === null || stream.closed) return;
    const closed = once(stream, 'close').catch(() => undefined);
    stream.end();
    await closed;
  }
}
