/**
 * The launcher the `minibatch` executable starts (src/cli/launcher.ts) compiles the bundled command
 * line with a V8 code cache kept in the user's cache folder. A cache V8 accepts is left as it is;
 * one it rejects is made again; a cache folder that cannot be written costs nothing but the time;
 * other installations' caches unused for 30 days are removed.
 */
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MINIBATCH_VERSION } from '../../src/core/version.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'minibatch-launcher-'));
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

const version = (cacheHome: string): ReturnType<typeof runCli> => runCli(['--version'], { env: { XDG_CACHE_HOME: cacheHome } });

/** The one cache file in `<cacheHome>/minibatch`. */
function cacheFile(cacheHome: string): string {
  const dir = join(cacheHome, 'minibatch');
  const files = readdirSync(dir).filter((name) => name.startsWith('code-'));
  expect(files).toHaveLength(1);
  return join(dir, files[0] as string);
}

describe('the code cache', () => {
  it('is made by the first start, readable by its owner only, and used as it is by the next', async () => {
    const first = await version(home);
    expect(first.exitCode).toBe(0);
    expect(first.stdout.trim()).toBe(MINIBATCH_VERSION);
    const file = cacheFile(home);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'minibatch')).mode & 0o777).toBe(0o700);
    const made = readFileSync(file);
    expect(made.length).toBeGreaterThan(10_000);

    const second = await version(home);
    expect(second.exitCode).toBe(0);
    expect(second.stdout.trim()).toBe(MINIBATCH_VERSION);
    // Accepted by V8, so not made again.
    expect(readFileSync(cacheFile(home)).equals(made)).toBe(true);
  });

  it('made again when V8 rejects it (another Node, or a damaged file), and the command still runs', async () => {
    expect((await version(home)).exitCode).toBe(0);
    const file = cacheFile(home);
    writeFileSync(file, Buffer.alloc(4096, 7));
    const again = await version(home);
    expect(again.exitCode).toBe(0);
    expect(again.stdout.trim()).toBe(MINIBATCH_VERSION);
    const remade = readFileSync(cacheFile(home));
    expect(remade.equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(remade.length).toBeGreaterThan(10_000);
  });

  it('not used when others could have written it: made again, owner-only', async () => {
    expect((await version(home)).exitCode).toBe(0);
    const file = cacheFile(home);
    const made = readFileSync(file);
    chmodSync(file, 0o666);
    const again = await version(home);
    expect(again.exitCode).toBe(0);
    expect(again.stdout.trim()).toBe(MINIBATCH_VERSION);
    // Not trusted, so compiled afresh and written anew, readable by its owner alone.
    expect(statSync(cacheFile(home)).mode & 0o777).toBe(0o600);
    expect(readFileSync(cacheFile(home)).length).toBeGreaterThan(made.length / 2);
  });

  it('two installations keep their own caches', async () => {
    // A copy of the built command line elsewhere, as a project's own install beside a global one.
    const copy = join(home, 'other-install');
    mkdirSync(join(copy, 'dist', 'cli'), { recursive: true });
    for (const file of ['cli/minibatch', 'cli/main.cjs', 'cli/minibatch.cjs']) copyFileSync(join(REPO_ROOT, 'dist', file), join(copy, 'dist', file));
    chmodSync(join(copy, 'dist', 'cli', 'minibatch'), 0o755);
    cpSync(join(REPO_ROOT, 'python'), join(copy, 'python'), { recursive: true });
    copyFileSync(join(REPO_ROOT, 'package.json'), join(copy, 'package.json'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'));
    const cacheHome = join(home, 'cache');
    const env = { env: { XDG_CACHE_HOME: cacheHome } };

    expect((await runCli(['--version'], env)).exitCode).toBe(0);
    const ours = readdirSync(join(cacheHome, 'minibatch'));
    expect(ours).toHaveLength(1);
    const other = await runCli(['--version'], { ...env, executable: join(copy, 'dist', 'cli', 'minibatch') });
    expect(other.exitCode).toBe(0);
    expect(other.stdout.trim()).toBe(MINIBATCH_VERSION);
    const both = readdirSync(join(cacheHome, 'minibatch'));
    expect(both).toHaveLength(2);
    expect(both).toContain(ours[0]);
  });

  it("removes other installations' caches unused for 30 days when it writes its own", async () => {
    // Left by installations deleted since (an old clone, an npx folder), and one still in use.
    const dir = join(home, 'minibatch');
    mkdirSync(dir, { mode: 0o700 });
    const day = 24 * 3600;
    const now = Date.now() / 1000;
    const left = { 'code-deadbeef-881494-1-v20.0.0-x64.bin': 31, 'code-cafef00d-881494-2-v20.0.0-x64.bin': 29, 'interpreters.json': 400 };
    for (const [name, daysAgo] of Object.entries(left)) {
      writeFileSync(join(dir, name), 'x', { mode: 0o600 });
      utimesSync(join(dir, name), now - daysAgo * day, now - daysAgo * day);
    }
    expect((await version(home)).exitCode).toBe(0);
    const after = readdirSync(dir);
    expect(after).not.toContain('code-deadbeef-881494-1-v20.0.0-x64.bin');
    expect(after).toContain('code-cafef00d-881494-2-v20.0.0-x64.bin');
    expect(after).toContain('interpreters.json');
    expect(after.filter((name) => name.startsWith('code-'))).toHaveLength(2);
  });

  it('a cache folder that cannot be made does not stop the command', async () => {
    const notAFolder = join(home, 'a-file');
    writeFileSync(notAFolder, 'x');
    const r = await version(notAFolder);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(MINIBATCH_VERSION);
    expect(r.stderr).toBe('');
  });
});
