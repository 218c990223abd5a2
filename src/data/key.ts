/**
 * The content key of a mini-batch (docs/ARCHITECTURE.md, "Run directory"): what resume matches committed mini-batches
 * on, never their position. It covers the input's name and each item's relative path, size and
 * modification time, and not the input's absolute root, so data moved together with its binding
 * (or a run directory moved with data inside it) keeps its keys.
 */
import { createRequire } from 'node:module';
import type { KeySlice, RangeSlice } from './table-format.js';
import type { FileItem } from './types.js';

/** Bump when the hashed text changes: keys of different versions must never match. */
const KEY_VERSION = 'minibatch-key-v1';

/** Hex characters kept: 128 bits, ample for millions of mini-batches, short in logs and job ids. */
export const KEY_LENGTH = 32;

let sha256: ((text: string) => string) | null = null;

/**
 * sha256 of a whole text, hex. Node ≥ 20.12 hashes in one call (`crypto.hash`), without the hash
 * object that cost more than the rest of planning a file (bench/); older ones build it.
 * node:crypto is loaded on the first key, not with the command line: its ~4 ms would delay the
 * start of a run's workers (bench/).
 */
function hashText(text: string): string {
  if (sha256 === null) {
    const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
    sha256 =
      typeof crypto.hash === 'function'
        ? (text) => crypto.hash('sha256', text, 'hex')
        : (text) => crypto.createHash('sha256').update(text).digest('hex');
  }
  return sha256(text);
}

/**
 * `JSON.stringify([rel, size, mtimeMs])`, written without the array (sizes and times are finite
 * numbers, which JSON writes as `${n}` does): a key's line per item, and an item as the ledger
 * stores it (ledger/inputs.ts).
 */
export function itemJson(item: Pick<FileItem, 'rel' | 'size' | 'mtimeMs'>): string {
  return `[${JSON.stringify(item.rel)},${item.size},${item.mtimeMs}]`;
}

/** A short stable hash (sha256, hex) of an input's name and its items' rel paths, sizes and mtimes. */
export function miniBatchKey(input: string, items: readonly Pick<FileItem, 'rel' | 'size' | 'mtimeMs'>[]): string {
  // JSON per line: unambiguous whatever characters names and paths hold.
  let text = prefixOf(input);
  for (const item of items) text += `${itemJson(item)}\n`;
  return hashText(text).slice(0, KEY_LENGTH);
}

let lastPrefix: { readonly input: string; readonly text: string } | null = null;

/** The text every key of `input` starts with (the last one is kept: inputs are planned one after another). */
function prefixOf(input: string): string {
  if (lastPrefix?.input !== input) lastPrefix = { input, text: `${KEY_VERSION}\n${JSON.stringify(input)}\n` };
  return lastPrefix.text;
}

/**
 * The key of a tabular mini-batch: its file's identity (rel path, size, mtime) and its byte range, so
 * that a changed file invalidates its mini-batches and an unchanged one keeps them on resume.
 */
export function tableSliceKey(input: string, item: Pick<FileItem, 'rel' | 'size' | 'mtimeMs'>, slice: RangeSlice): string {
  return hashText(`${prefixOf(input)}${itemJson(item)}\ntable ${slice.start} ${slice.end}\n`).slice(0, KEY_LENGTH);
}

/**
 * The key of a partition-key mini-batch of a table: its files' identities and the keys' values. Its
 * byte ranges follow from those (planning is deterministic), so they need not be hashed.
 */
export function keySliceKey(input: string, items: readonly Pick<FileItem, 'rel' | 'size' | 'mtimeMs'>[], slice: Pick<KeySlice, 'keys' | 'values'>): string {
  let text = prefixOf(input);
  for (const item of items) text += `${itemJson(item)}\n`;
  return hashText(`${text}keys ${JSON.stringify(slice.keys)} ${JSON.stringify(slice.values)}\n`).slice(0, KEY_LENGTH);
}
