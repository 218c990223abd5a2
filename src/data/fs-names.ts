/**
 * File names that are not valid UTF-8 (a Latin-1 `caf\xe9.txt`), carried byte-exact.
 *
 * Node decodes such a name to U+FFFD, which names no file: a listing that trusted it would drop the
 * file, or fail on a folder. Instead a name is decoded the way Python's `os.fsdecode` does
 * (surrogateescape): each byte that is not part of valid UTF-8 becomes the lone surrogate
 * U+DC80…U+DCFF. The string then travels as is (JSON writes lone surrogates as `\udcXX` escapes,
 * so the ledger, the keys and the worker protocol keep them), the user's `run()` gets the very
 * `str` Python would have listed, and `fsPath` turns it back into the exact bytes for Node's fs.
 */

/** A lone low surrogate from U+DC80: an escaped byte (a paired one is part of a real character). */
const ESCAPED = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** Whether `name`, as Node decoded it, may hide bytes that are not UTF-8 (it holds U+FFFD). */
export function mayBeUndecodable(name: string): boolean {
  return name.includes('\uFFFD');
}

/** The path to give Node's fs: the path itself, or its exact bytes when it holds escaped bytes. */
export function fsPath(path: string): string | Buffer {
  return ESCAPED.test(path) ? fsEncode(path) : path;
}

/** Bytes of a name: UTF-8, and each escaped byte as itself (Python's `os.fsencode`). */
export function fsEncode(text: string): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const paired = i > 0 && isHigh(text.charCodeAt(i - 1));
    if (unit >= 0xdc80 && unit <= 0xdcff && !paired) {
      parts.push(Buffer.from(text.slice(start, i), 'utf8'), Buffer.of(unit - 0xdc00));
      start = i + 1;
    }
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** A name's bytes as Python's `os.fsdecode` gives them: UTF-8, each other byte escaped. */
export function fsDecode(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceAt(bytes, i);
    if (length === 0) {
      out += String.fromCharCode(0xdc00 + (bytes[i] as number));
      i += 1;
    } else {
      out += bytes.toString('utf8', i, i + length);
      i += length;
    }
  }
  return out;
}

/** The length of the valid UTF-8 sequence starting at `i`, or 0 (the byte is escaped). */
function utf8SequenceAt(bytes: Buffer, i: number): number {
  const lead = bytes[i] as number;
  if (lead < 0x80) return 1;
  // Second-byte bounds exclude overlong forms and UTF-16 surrogates, as Python's decoder does.
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return 0;
  if (i + length > bytes.length) return 0;
  for (let k = 1; k < length; k++) {
    const b = bytes[i + k] as number;
    if (k === 1 ? b < low || b > high : b < 0x80 || b > 0xbf) return 0;
  }
  return length;
}

function isHigh(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
