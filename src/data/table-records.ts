/**
 * Finding the records of a delimited or JSON Lines file by its bytes, without parsing fields: a
 * record ends at a line break outside quotes. What planning cuts mini-batches at (table-plan.ts).
 *
 * The file is read in chunks of `CHUNK` bytes (memory stays bounded whatever its size), and the
 * main thread is given back between chunks. Line breaks are found with `indexOf`, and quotes only
 * where quoted line breaks are honoured: a doubled quote inside a quoted field (`""`) closes and
 * reopens the quote, which leaves the state as it was, so counting quotes is enough.
 */
import { open } from 'node:fs/promises';

const CHUNK = 1024 * 1024;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BOM = [0xef, 0xbb, 0xbf] as const;

export interface RecordScan {
  /** Quoted fields may hold line breaks (CSV); false for JSON Lines and one-record-per-line files. */
  readonly quotes: boolean;
}

/**
 * What takes the records: each record's bytes [start, end), line break included, `blank` for an
 * empty line (not a row); `drain` hands over what it made of them after each chunk. A call per
 * record, not an object: a 1 GB file has ~10 million of them.
 */
export interface RecordSink<T> {
  /**
   * The bytes just read, at file offset `base`, before their records; valid until `drain`. For a
   * sink that reads the records' contents (partition keys); a record may begin in an earlier chunk.
   */
  chunk?(bytes: Buffer, base: number): void;
  record(start: number, end: number, blank: boolean): void;
  /** The file has no more records. */
  finish(): void;
  drain(): T[];
}

/** Bytes at the start of the file that are a UTF-8 byte order mark (0 or 3). */
export function bomLength(head: Uint8Array): number {
  return head.length >= 3 && head[0] === BOM[0] && head[1] === BOM[1] && head[2] === BOM[2] ? 3 : 0;
}

/**
 * Feeds the records of `path` to `sink` in file order, and yields what it drains after each chunk
 * read (when not empty). A last record without a line break ends at the end of the file; an
 * unclosed quote runs to the end of the file (pandas then reports the malformed row).
 */
export async function* scanRecords<T>(path: string, scan: RecordScan, sink: RecordSink<T>): AsyncGenerator<T[]> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let base = 0;
    let recordStart = -1;
    let inQuotes = false;
    let previous = -1; // the byte before this chunk
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, CHUNK, base);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      sink.chunk?.(chunk, base);
      let i = 0;
      if (recordStart === -1) {
        recordStart = bomLength(chunk);
        i = recordStart;
      }
      // The next quote at or after i in this chunk, found again only once passed.
      let quote = scan.quotes ? chunk.indexOf(QUOTE, i) : -1;
      while (i < bytesRead) {
        if (inQuotes) {
          const close = chunk.indexOf(QUOTE, i);
          if (close === -1) break;
          inQuotes = false;
          i = close + 1;
          quote = chunk.indexOf(QUOTE, i);
          continue;
        }
        const lf = chunk.indexOf(LF, i);
        if (quote !== -1 && (lf === -1 || quote < lf)) {
          inQuotes = true;
          i = quote + 1;
          continue;
        }
        if (lf === -1) break;
        const end = base + lf + 1;
        const length = end - recordStart;
        const before = lf > 0 ? chunk[lf - 1] : previous;
        sink.record(recordStart, end, length === 1 || (length === 2 && before === CR));
        recordStart = end;
        i = lf + 1;
      }
      previous = chunk[bytesRead - 1] ?? -1;
      base += bytesRead;
      const made = sink.drain();
      if (made.length > 0) yield made;
    }
    if (recordStart !== -1 && recordStart < base) sink.record(recordStart, base, base - recordStart === 1 && previous === CR);
    sink.finish();
    const made = sink.drain();
    if (made.length > 0) yield made;
  } finally {
    await file.close();
  }
}
