/**
 * The web view's routes (Hono): pages, the run data as JSON, live updates as server-sent events,
 * and the run's files, read-only. Runs are looked up again on each request for the list, so a run
 * started after the server is seen without a restart.
 *
 *   GET /                              the runs list
 *   GET /runs/:id                      a run's page (404 for an unknown id)
 *   GET /assets/page.js|page.css       the page's script and style
 *   GET /api/runs                      RunRow[]
 *   GET /api/runs/:id                  RunPageData
 *   GET /api/runs/:id/mini-batches/:i  BarDetail of one mini-batch
 *   GET /api/runs/:id/files/<path>     a file of the run directory or its outputs, as text
 *   GET /api/events, /api/runs/:id/events   server-sent events: `runs` / `view`, sent when they change
 */
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { Ledger } from '../../ledger/sqlite.js';
import { readRunJson } from '../../run/rundir.js';
import { runPaths } from '../../core/run-paths.js';
import { confinedFile } from '../data/files.js';
import { barDetail, buildPageData } from '../data/page-data.js';
import { discoverRuns, runRow } from '../data/runs.js';
import { pageAssets, shellHtml } from '../page-html.js';
import { changeSignature } from './watch.js';

export interface AppOptions {
  /** The folder whose `.minibatch/runs` is listed, besides the remembered runs. */
  readonly dir: string;
  /** Required of every request when set (a server on a non-loopback address). */
  readonly token: string | null;
  /** How often live streams look for changes. @default 1000 */
  readonly watchMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const TOKEN_COOKIE = 'minibatch_ui_token';

export function createApp(options: AppOptions): Hono {
  const app = new Hono();
  const watchMs = options.watchMs ?? 1000;
  const runs = (): Map<string, string> => discoverRuns(options.dir, options.env);
  const runDir = (c: Context): string | undefined => runs().get(c.req.param('id') ?? '');
  const notFound = (c: Context, id: string): Response => c.json({ error: `no run ${id} here (see /api/runs)` }, 404);

  if (options.token !== null) app.use('*', tokenCheck(options.token));

  app.get('/', (c) => c.html(shellHtml('minibatch runs')));
  app.get('/runs/:id', (c) => (runDir(c) === undefined ? c.html(shellHtml('no such run'), 404) : c.html(shellHtml(`minibatch · ${c.req.param('id')}`))));
  app.get('/assets/page.js', (c) => c.body(pageAssets().js, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/assets/page.css', (c) => c.body(pageAssets().css, 200, { 'content-type': 'text/css; charset=utf-8' }));

  app.get('/api/runs', (c) => c.json([...runs()].map(([id, dir]) => runRow(id, dir))));
  app.get('/api/runs/:id', (c) => {
    const dir = runDir(c);
    return dir === undefined ? notFound(c, c.req.param('id')) : c.json(buildPageData(dir));
  });
  app.get('/api/runs/:id/mini-batches/:index', (c) => {
    const dir = runDir(c);
    const index = Number(c.req.param('index'));
    if (dir === undefined) return notFound(c, c.req.param('id'));
    if (!Number.isSafeInteger(index) || index < 0) return c.json({ error: `not a mini-batch index: ${c.req.param('index')}` }, 400);
    const ledger = Ledger.open(dir, { readonly: true });
    try {
      const detail = barDetail(ledger, index);
      return detail === null ? c.json({ error: `run ${c.req.param('id')} has no mini-batch ${index}` }, 404) : c.json(detail);
    } finally {
      ledger.close();
    }
  });
  app.get('/api/runs/:id/files/*', (c) => {
    const dir = runDir(c);
    if (dir === undefined) return notFound(c, c.req.param('id'));
    const prefix = `/api/runs/${encodeURIComponent(c.req.param('id'))}/files/`;
    const requested = decodeURIComponent(new URL(c.req.url).pathname.slice(prefix.length));
    const outputs = Object.values(readRunJson(runPaths(dir)).job.outputs);
    const found = confinedFile(dir, outputs, requested);
    if (!found.ok) return c.json({ error: found.why }, found.status);
    const type = /\.(html?)$/i.test(found.file) ? 'text/plain; charset=utf-8' : /\.json$/i.test(found.file) ? 'application/json' : 'text/plain; charset=utf-8';
    const body = Readable.toWeb(createReadStream(found.file)) as ReadableStream<Uint8Array>;
    return c.body(body, 200, { 'content-type': type, 'content-length': String(statSync(found.file).size), 'x-content-type-options': 'nosniff' });
  });

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      let last = '';
      while (!stream.aborted) {
        const rows = JSON.stringify([...runs()].map(([id, dir]) => runRow(id, dir)));
        if (rows !== last) await stream.writeSSE({ event: 'runs', data: rows });
        last = rows;
        await stream.sleep(watchMs);
      }
    }),
  );
  app.get('/api/runs/:id/events', (c) => {
    const dir = runDir(c);
    if (dir === undefined) return notFound(c, c.req.param('id'));
    return streamSSE(c, async (stream) => {
      let last = '';
      while (!stream.aborted) {
        const signature = changeSignature(dir, Date.now());
        if (signature !== last) await stream.writeSSE({ event: 'view', data: JSON.stringify(buildPageData(dir)) });
        last = signature;
        await stream.sleep(watchMs);
      }
    });
  });
  return app;
}

/**
 * Jupyter's rule: the token comes once in the URL (`?token=`), is kept in a cookie for the page's
 * own requests, or comes in an `Authorization: token …` header from scripts.
 */
function tokenCheck(token: string) {
  return async (c: Context, next: () => Promise<void>): Promise<Response | void> => {
    const given =
      c.req.query('token') ??
      /(?:^|;\s*)minibatch_ui_token=([^;]+)/.exec(c.req.header('cookie') ?? '')?.[1] ??
      /^token\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (given !== token) return c.text('minibatch ui: this server needs its token: open the URL it printed at start (…/?token=…)\n', 403);
    if (c.req.query('token') !== undefined) c.header('set-cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    await next();
  };
}
