/**
 * Inputs and items as the ledger stores them. Each input's root is stored once (relative to the
 * run directory when inside it, docs/ARCHITECTURE.md, "Run directory"), and items as compact
 * `[rel, size, mtimeMs]` triples, so a million-file plan stays small and a moved run directory
 * still finds data that moved with it.
 */
import type Database from 'better-sqlite3';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { itemJson } from '../data/key.js';
import type { FileItem, PlannedMiniBatch, TableSlice } from '../data/types.js';

/** An item as stored in `mini_batches.items`; a tabular mini-batch's one item carries its slice. */
export type StoredItem = readonly [rel: string, size: number, mtimeMs: number] | readonly [rel: string, size: number, mtimeMs: number, slice: TableSlice];

interface InputRow {
  readonly id: number;
  readonly name: string;
  readonly root: string;
}

export interface KnownInput {
  readonly id: number;
  readonly name: string;
  /** Absolute. */
  readonly root: string;
}

export class InputTable {
  readonly #db: Database.Database;
  readonly #runDir: string;
  readonly #byName = new Map<string, KnownInput>();
  readonly #byId = new Map<number, KnownInput>();

  constructor(db: Database.Database, runDir: string) {
    this.#db = db;
    this.#runDir = resolve(runDir);
    for (const row of db.prepare<[], InputRow>('SELECT id, name, root FROM inputs').all()) this.#remember(row);
  }

  byId(id: number): KnownInput {
    const input = this.#byId.get(id);
    if (input === undefined) throw new Error(`ledger: mini-batch refers to unknown input id ${id}`);
    return input;
  }

  byName(name: string): KnownInput | undefined {
    return this.#byName.get(name);
  }

  /** The input's id, inserting it or moving its root (a re-bound input on resume). Call inside a transaction. */
  ensure(name: string, root: string): KnownInput {
    const absRoot = resolve(root);
    const known = this.#byName.get(name);
    if (known !== undefined && known.root === absRoot) return known;
    const stored = this.#storable(absRoot);
    if (known !== undefined) {
      this.#db.prepare('UPDATE inputs SET root = ? WHERE id = ?').run(stored, known.id);
      return this.#remember({ id: known.id, name, root: stored });
    }
    const { lastInsertRowid } = this.#db.prepare('INSERT INTO inputs (name, root) VALUES (?, ?)').run(name, stored);
    return this.#remember({ id: Number(lastInsertRowid), name, root: stored });
  }

  #remember(row: InputRow): KnownInput {
    const input = { id: row.id, name: row.name, root: isAbsolute(row.root) ? row.root : resolve(this.#runDir, row.root) };
    this.#byName.set(input.name, input);
    this.#byId.set(input.id, input);
    return input;
  }

  /** Relative (with `/`) when inside the run directory, else absolute. */
  #storable(absRoot: string): string {
    const rel = relative(this.#runDir, absRoot);
    if (rel === '') return '.';
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return absRoot;
    return rel.split(sep).join('/');
  }
}

/** The input's root an item was listed under: its path without `/rel`. */
export function rootOf(item: FileItem): string {
  const suffix = sep + item.rel.split('/').join(sep);
  if (!item.path.endsWith(suffix)) {
    throw new Error(`ledger: item path ${item.path} does not end with its relative path ${item.rel}`);
  }
  return item.path.slice(0, item.path.length - suffix.length) || sep;
}

/** `items` as `mini_batches.items` holds them: `JSON.stringify` of their `StoredItem`s. */
export function encodeItems(items: readonly Pick<FileItem, 'rel' | 'size' | 'mtimeMs'>[]): string {
  return `[${items.map(itemJson).join(',')}]`;
}

/**
 * `encodeItems` of a planned mini-batch: a table's slice after its first item (a range's one file,
 * or the first of a partition-key mini-batch's files).
 */
export function encodePlanned(mb: Pick<PlannedMiniBatch, 'items' | 'slice'>): string {
  const [item, ...rest] = mb.items;
  if (mb.slice === null || item === undefined) return encodeItems(mb.items);
  return `[[${itemJson(item).slice(1, -1)},${JSON.stringify(mb.slice)}]${rest.map((i) => `,${itemJson(i)}`).join('')}]`;
}

/**
 * What `mini_batches.item_count` holds: files, or a table slice's rows; a partition-key
 * combination is one item, as on Azure, where `run()` returns one result per partition (a
 * summary row, a trained model) and a mini-batch that returns fewer than it got counts as failed.
 */
export function itemCount(mb: { readonly items: readonly unknown[]; readonly slice: PlannedMiniBatch['slice'] }): number {
  if (mb.slice === null) return mb.items.length;
  return 'kind' in mb.slice && mb.slice.kind === 'keys' ? 1 : mb.slice.rows;
}

export function decodeItems(json: string, root: string): FileItem[] {
  const stored = JSON.parse(json) as StoredItem[];
  return stored.map(([rel, size, mtimeMs]) => ({ path: absolutePath(root, rel), rel, size, mtimeMs }));
}

/** The table slice stored with a mini-batch's items, or null for files. */
export function decodeSlice(json: string): TableSlice | null {
  // Only a table's items hold an object: skip parsing a file mini-batch's items twice.
  if (!json.includes('{')) return null;
  const [first] = JSON.parse(json) as StoredItem[];
  return first?.[3] ?? null;
}

function absolutePath(root: string, rel: string): string {
  // Plain concatenation on POSIX: `join` normalizes, which costs at a million items.
  if (sep === '/') return root.endsWith('/') ? root + rel : `${root}/${rel}`;
  return join(root, ...rel.split('/'));
}
