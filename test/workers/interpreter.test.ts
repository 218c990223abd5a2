/** Resolving the interpreter once to its own sys.executable (docs/ARCHITECTURE.md, "Entry script"), and the pandas check. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EnvironmentError } from '../../src/core/errors.js';
import { binaryInterpreter, checkPandas, resolveInterpreter } from '../../src/workers/interpreter.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minibatch-interpreter-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fake interpreter: a shell script with the given body. */
async function fake(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<EnvironmentError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EnvironmentError);
  expect((error as EnvironmentError).code).toBe('INTERPRETER_UNAVAILABLE');
  expect((error as EnvironmentError).exitCode).toBe(3);
  return error as EnvironmentError;
}

describe('resolveInterpreter', () => {
  it('resolves python3 to the sys.executable it reports, once per command', async () => {
    const expected = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const [found, again] = await Promise.all([resolveInterpreter('python3'), resolveInterpreter('python3')]);
    expect(again).toBe(found); // one probe, one answer
    expect(found.executable).toBe(expected);
    expect(found.version).toMatch(/^3\.\d+\.\d+$/);
  });

  it('sees through a wrapper script (as a pyenv shim) to the real interpreter', async () => {
    const real = (await resolveInterpreter('python3')).executable;
    const shim = await fake('shim-python', `exec "${real}" "$@"`);
    expect((await resolveInterpreter(shim)).executable).toBe(real);
  });

  it('says what was tried and how to fix it when the command does not exist', async () => {
    const error = await failure(resolveInterpreter('no-such-python-3.99'));
    expect(error.message).toBe(
      'cannot start the Python interpreter `no-such-python-3.99`: not found (neither a path nor a command on PATH). ' +
        'Name a Python 3.8 or later with --python /path/to/python (or `python:` in the job file, or ' +
        '`amlEnvironment.python.interpreterPath` in the module spec).',
    );
  });

  it('refuses a Python older than 3.8', async () => {
    const old = await fake('old-python', `echo '{"executable": "/opt/py36/bin/python3", "version": "3.6.15"}'`);
    const error = await failure(resolveInterpreter(old));
    expect(error.message).toContain(`\`${old}\` is Python 3.6.15; minibatch needs 3.8 or later.`);
  });

  it('reports what a failing interpreter printed, and does not cache the failure', async () => {
    const broken = await fake('broken-python', `echo "pyenv: version '3.9' is not installed" >&2; exit 1`);
    const error = await failure(resolveInterpreter(broken));
    expect(error.message).toContain(`cannot start the Python interpreter \`${broken}\`: pyenv: version '3.9' is not installed.`);
    await fake('broken-python', `echo '{"executable": "/fixed/python", "version": "3.12.1"}'`);
    expect(await resolveInterpreter(broken)).toEqual({ executable: '/fixed/python', version: '3.12.1' });
  });

  it('refuses something that is not Python', async () => {
    const error = await failure(resolveInterpreter(await fake('not-python', 'echo hello')));
    expect(error.message).toContain('does not behave like Python');
  });
});

describe('the probe', () => {
  it('starts Python without site (its .pth files can cost most of a start-up): it passes -S', async () => {
    const real = (await resolveInterpreter('python3')).executable;
    const argsFile = join(dir, 'probe-args');
    const recording = await fake('recording-python', `echo "$@" > "${argsFile}"\nexec "${real}" "$@"`);
    expect((await resolveInterpreter(recording)).executable).toBe(real);
    expect(readFileSync(argsFile, 'utf8')).toMatch(/^-S -c /);
  });
});

describe('binaryInterpreter: what workers can start with before the probe answers', () => {
  it('a binary is its own sys.executable: by path, through a symlink (as a venv), or found on PATH', async () => {
    const real = (await resolveInterpreter('python3')).executable;
    expect(binaryInterpreter(real)).toBe(real);
    const venvBin = join(dir, 'venv', 'bin');
    await mkdir(venvBin, { recursive: true });
    await symlink(real, join(venvBin, 'python'));
    // Not resolved further: the venv's own path is what activates it.
    expect(binaryInterpreter(join(venvBin, 'python'))).toBe(join(venvBin, 'python'));
    const path = process.env.PATH;
    process.env.PATH = ['/no/such/dir', venvBin, path].join(':');
    try {
      expect(binaryInterpreter('python')).toBe(join(venvBin, 'python'));
    } finally {
      process.env.PATH = path;
    }
  });

  it('none for a script (a pyenv shim: only the probe sees through it), nor for what is not there', async () => {
    expect(binaryInterpreter(await fake('a-shim', 'exec python3 "$@"'))).toBeNull();
    expect(binaryInterpreter('no-such-python-3.99')).toBeNull();
    expect(binaryInterpreter(join(dir, 'no-such-file'))).toBeNull();
  });

  it('skips a match on PATH that cannot be executed, as the system does', async () => {
    const real = (await resolveInterpreter('python3')).executable;
    const first = join(dir, 'path-a');
    const second = join(dir, 'path-b');
    await mkdir(first, { recursive: true });
    await mkdir(second, { recursive: true });
    await writeFile(join(first, 'py-x'), 'not executable');
    await copyFile(real, join(second, 'py-x'));
    await chmod(join(second, 'py-x'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = [first, second].join(':');
    try {
      expect(binaryInterpreter('py-x')).toBe(join(second, 'py-x'));
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('interpreters probed before (a binary, remembered in the cache folder)', () => {
  let real: string;
  let cacheDir: string;
  const saved = process.env.MINIBATCH_CACHE_DIR;

  beforeAll(async () => {
    real = (await resolveInterpreter('python3')).executable;
    cacheDir = join(dir, 'cache');
    process.env.MINIBATCH_CACHE_DIR = cacheDir;
  });

  afterAll(() => {
    if (saved === undefined) delete process.env.MINIBATCH_CACHE_DIR;
    else process.env.MINIBATCH_CACHE_DIR = saved;
  });

  /** A new name for the real interpreter (resolveInterpreter also remembers per process, by command). */
  let names = 0;
  async function alias(): Promise<string> {
    const path = join(dir, `alias-${++names}`);
    await symlink(real, path);
    return path;
  }

  const rememberedFile = (): string => join(cacheDir, 'interpreters.json');
  function writeRemembered(entries: Record<string, unknown>): void {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(rememberedFile(), JSON.stringify(entries));
  }
  function identityOf(path: string): { size: number; mtimeMs: number; ctimeMs: number } {
    const { size, mtimeMs, ctimeMs } = statSync(path);
    return { size, mtimeMs, ctimeMs };
  }

  it('remembers what the probe of a binary found, with the file it found it for', async () => {
    const python = await alias();
    const found = await resolveInterpreter(python);
    const entry = (JSON.parse(readFileSync(rememberedFile(), 'utf8')) as Record<string, unknown>)[python];
    expect(entry).toEqual({ ...identityOf(python), executable: found.executable, version: found.version });
  });

  it('uses what it remembers instead of probing again', async () => {
    const python = await alias();
    writeRemembered({ [python]: { ...identityOf(python), executable: python, version: '3.99.1' } });
    expect(await resolveInterpreter(python)).toEqual({ executable: python, version: '3.99.1' });
  });

  it('probes again when the file changed since', async () => {
    const python = await alias();
    const changed = { ...identityOf(python), mtimeMs: 1 };
    writeRemembered({ [python]: { ...changed, executable: python, version: '3.99.1' } });
    expect((await resolveInterpreter(python)).version).not.toBe('3.99.1');
  });

  it('never starts what the file names instead of the binary itself: it probes', async () => {
    const python = await alias();
    writeRemembered({ [python]: { ...identityOf(python), executable: '/somewhere/else', version: '3.99.1' } });
    const found = await resolveInterpreter(python);
    expect(found.executable).not.toBe('/somewhere/else');
    expect(found.version).not.toBe('3.99.1');
  });

  it('refuses a remembered Python older than 3.8 as the probe would', async () => {
    const python = await alias();
    writeRemembered({ [python]: { ...identityOf(python), executable: python, version: '3.6.15' } });
    const error = await failure(resolveInterpreter(python));
    expect(error.message).toContain(`\`${python}\` is Python 3.6.15; minibatch needs 3.8 or later.`);
  });
});

describe('checkPandas', () => {
  it('says how to install pandas when it is missing', async () => {
    const noPandas = await fake('no-pandas', `echo "ModuleNotFoundError: No module named 'pandas'" >&2; exit 1`);
    const error = await failure(checkPandas(noPandas));
    expect(error.message).toBe(
      `tabular data needs pandas, but \`import pandas\` fails with ${noPandas}: ModuleNotFoundError: No module named 'pandas'. ` +
        `Install it into that interpreter (\`${noPandas} -m pip install pandas\`), or name one that has it with --python.`,
    );
  });

  it('returns the version pandas reports', async () => {
    const withPandas = await fake('with-pandas', 'echo 2.2.3');
    expect(await checkPandas(withPandas)).toBe('2.2.3');
  });
});
