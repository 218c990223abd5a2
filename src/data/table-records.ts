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
  /**
   * Bytes per code unit: 1 for UTF-8 and the one-byte encodings, 2 for UTF-16, 4 for UTF-32. In a
   * wide encoding a line break is a whole code unit at a unit boundary: a 0x0A byte inside another
   * character (U+010A is `0A 01` in UTF-16LE) is not one.
   * @default 1
   */
  readonly unit?: 1 | 2 | 4;
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
  if ((scan.unit ?? 1) !== 1) {
    yield* scanWideRecords(path, scan, sink);
    return;
  }
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

/**
 * A wide encoding's byte order, from the file's byte order mark (its length is `bom`); without
 * one, little-endian, as Windows (and so Azure) writes UTF-16 and UTF-32.
 */
export function wideByteOrder(head: Uint8Array, unit: 2 | 4): { readonly bom: number; readonly bigEndian: boolean } {
  const [a, b, c, d] = [head[0], head[1], head[2], head[3]];
  if (unit === 2) {
    if (a === 0xff && b === 0xfe) return { bom: 2, bigEndian: false };
    if (a === 0xfe && b === 0xff) return { bom: 2, bigEndian: true };
  } else {
    if (a === 0xff && b === 0xfe && c === 0 && d === 0) return { bom: 4, bigEndian: false };
    if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return { bom: 4, bigEndian: true };
  }
  return { bom: 0, bigEndian: false };
}

/** The code unit of an ASCII character in a wide encoding. */
function codeUnit(char: number, unit: 2 | 4, bigEndian: boolean): Buffer {
  const bytes = Buffer.alloc(unit);
  bytes[bigEndian ? unit - 1 : 0] = char;
  return bytes;
}

/**
 * scanRecords for UTF-16 and UTF-32: the same records, found by whole code units. `CHUNK` is a
 * multiple of 4, so a code unit never straddles two reads (a file whose length is not whole units
 * is malformed; its odd bytes stay in its last record).
 */
async function* scanWideRecords<T>(path: string, scan: RecordScan, sink: RecordSink<T>): AsyncGenerator<T[]> {
  const unit = scan.unit === 4 ? 4 : 2;
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let base = 0;
    let recordStart = -1;
    let inQuotes = false;
    let previousCR = false; // the code unit before this chunk is a CR
    let lfUnit = codeUnit(LF, unit, false);
    let crUnit = codeUnit(CR, unit, false);
    let quoteUnit = codeUnit(QUOTE, unit, false);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, CHUNK, base);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      // The next whole code unit equal to `what` at or after `from` (a unit boundary), or -1.
      const find = (what: Buffer, from: number): number => {
        let at = chunk.indexOf(what, from);
        while (at !== -1 && at % unit !== 0) at = chunk.indexOf(what, at + 1);
        return at;
      };
      let i = 0;
      if (recordStart === -1) {
        const order = wideByteOrder(chunk, unit);
        [lfUnit, crUnit, quoteUnit] = [LF, CR, QUOTE].map((c) => codeUnit(c, unit, order.bigEndian)) as [Buffer, Buffer, Buffer];
        recordStart = order.bom;
        i = recordStart;
      }
      let quote = scan.quotes ? find(quoteUnit, i) : -1;
      while (i < bytesRead) {
        if (inQuotes) {
          const close = find(quoteUnit, i);
          if (close === -1) break;
          inQuotes = false;
          i = close + unit;
          quote = find(quoteUnit, i);
          continue;
        }
        const lf = find(lfUnit, i);
        if (quote !== -1 && (lf === -1 || quote < lf)) {
          inQuotes = true;
          i = quote + unit;
          continue;
        }
        if (lf === -1) break;
        const end = base + lf + unit;
        const length = end - recordStart;
        const afterCR = lf >= unit ? chunk.compare(crUnit, 0, unit, lf - unit, lf) === 0 : previousCR;
        sink.record(recordStart, end, length === unit || (length === 2 * unit && afterCR));
        recordStart = end;
        i = lf + unit;
      }
      previousCR = bytesRead >= unit && chunk.compare(crUnit, 0, unit, bytesRead - unit, bytesRead) === 0;
      base += bytesRead;
      const made = sink.drain();
      if (made.length > 0) yield made;
    }
    if (recordStart !== -1 && recordStart < base) sink.record(recordStart, base, base - recordStart === unit && previousCR);
    sink.finish();
    const made = sink.drain();
    if (made.length > 0) yield made;
  } finally {
    await file.close();
  }
}
