/** Real files in temporary folders, for listing, planning and ledger tests. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh temporary folder; `cleanup` removes it. */
export function tempDir(prefix = 'minibatch-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fixed modification time (seconds), so keys are reproducible. */
export const MTIME_S = 1_700_000_000;

/** Writes `files` (relative path → content) under `root`, each with mtime `MTIME_S`. */
export function writeTree(root: string, files: Readonly<Record<string, string>>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    utimesSync(path, MTIME_S, MTIME_S);
  }
}

/** Files `prefix00` … named so that they sort in numeric order. */
export function numbered(count: number, prefix = 'f'): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`${prefix}${String(i).padStart(2, '0')}`] = `content ${i}\n`;
  return files;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

/** The next value of a generator, failing the test when it is done. */
export async function nextValue<T>(gen: AsyncGenerator<T>): Promise<T> {
  const r = await gen.next();
  if (r.done === true) throw new Error('the generator ended early');
  return r.value;
}
