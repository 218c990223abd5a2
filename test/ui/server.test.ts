/**
 * `minibatch ui`'s server, as a client sees it: loopback unless told otherwise, and then only with
 * its token; a bad run id is 404; files are served read-only from the run directory and its bound
 * outputs, and a path outside them is refused (`..`, an absolute path, a symbolic link out).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../data/tree.js';
import { cli, expectExit } from '../run/helpers.js';
import { makeUiModule, startUi, type UiServer } from './helpers.js';

let tmp: { dir: string; cleanup: () => void };
let server: UiServer;
let runDir: string;
const env = (): Record<string, string> => ({ MINIBATCH_CACHE_DIR: join(tmp.dir, 'cache') });

beforeAll(async () => {
  tmp = tempDir('minibatch-ui-server-');
  const module = makeUiModule(join(tmp.dir, 'work'), ['a.txt', 'b.txt', 'c.txt']);
  runDir = join(module.root, '.minibatch', 'runs', 'first');
  expectExit(await cli(module.runArgs(runDir, { processes: 1, sleepMs: 0 })), 0);
  writeFileSync(join(tmp.dir, 'secret.txt'), 'not for the web');
  symlinkSync(join(tmp.dir, 'secret.txt'), join(runDir, 'logs', 'link-out.txt'));
  mkdirSync(join(tmp.dir, 'elsewhere'));
  server = await startUi(['.', '--port', '0'], module.root, env());
});
afterAll(async () => {
  await server.stop();
  tmp.cleanup();
});

const get = (path: string, init?: RequestInit): Promise<Response> => fetch(new URL(path, server.url), init);

describe('minibatch ui: the server', () => {
  it('binds to loopback by default, and is not reachable on the other addresses', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const port = new URL(server.url).port;
    const other = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
    if (other !== undefined) {
      await expect(fetch(`http://${other.address}:${port}/api/runs`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    }
    const runs = (await (await get('/api/runs')).json()) as { id: string; state: string }[];
    expect(runs).toEqual([expect.objectContaining({ id: 'first', state: 'succeeded' })]);
  });

  it('answers a bad run id with 404, for its page, its data, its files and its events', async () => {
    for (const path of ['/runs/nope', '/api/runs/nope', '/api/runs/nope/files/logs%2Fjob_result.txt', '/api/runs/nope/events', '/api/runs/nope/mini-batches/0']) {
      expect((await get(path)).status, path).toBe(404);
    }
    expect((await get('/api/runs/first/mini-batches/99')).status).toBe(404);
  });

  it('serves the files of the run directory and its outputs, and refuses any path outside them', async () => {
    const result = await get(`/api/runs/first/files/${encodeURIComponent('logs/job_result.txt')}`);
    expect(result.status).toBe(200);
    expect(await result.text()).toMatch(/^Run \S+ of Score Images 1\.2\.0: SUCCEEDED/);
    const rows = await get(`/api/runs/first/files/${encodeURIComponent(join(runDir, 'outputs', 'scores', 'parallel_run_step.txt'))}`);
    expect(await rows.text()).toBe('a.txt\nb.txt\nc.txt\n');
    for (const outside of ['../../../../secret.txt', '../../../../nothing.txt', join(tmp.dir, 'secret.txt'), '/etc/passwd', 'logs/link-out.txt']) {
      const refused = await get(`/api/runs/first/files/${encodeURIComponent(outside)}`);
      expect(refused.status, outside).toBe(403);
      expect(await refused.text()).toContain('is outside the run directory and its outputs');
    }
    expect((await get(`/api/runs/first/files/${encodeURIComponent('logs/none.txt')}`)).status).toBe(404);
  });

  it('off loopback, requires the token it printed: in the URL once, then from its cookie', async () => {
    const open = await startUi(['.', '--port', '0', '--host', '0.0.0.0'], join(tmp.dir, 'elsewhere'), env());
    try {
      const url = new URL(open.url);
      const token = url.searchParams.get('token') ?? '';
      expect(token).toMatch(/^[0-9a-f]{48}$/);
      const base = `http://127.0.0.1:${url.port}`;
      const refused = await fetch(`${base}/api/runs`);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('this server needs its token');
      expect((await fetch(`${base}/api/runs?token=wrong`)).status).toBe(403);
      const first = await fetch(`${base}/?token=${token}`);
      expect(first.status).toBe(200);
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      expect((await fetch(`${base}/api/runs`, { headers: { cookie } })).status).toBe(200);
      expect((await fetch(`${base}/api/runs`, { headers: { authorization: `token ${token}` } })).status).toBe(200);
    } finally {
      await open.stop();
    }
  });

  it('refuses a port in use, saying so (exit 3)', async () => {
    const port = new URL(server.url).port;
    const taken = await cli(['ui', '.', '--port', port], env(), tmp.dir);
    expectExit(taken, 3);
    expect(taken.stderr).toContain(`cannot serve on 127.0.0.1:${port}: it is in use; choose another with --port or --host`);
  });
});
