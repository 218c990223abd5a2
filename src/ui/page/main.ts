/**
 * The page's entry: read the boot data, then show the runs list or a run. Served by `minibatch ui`
 * (data from the server, live through server-sent events) or inlined in a report (data inlined).
 */
import type { PageBoot } from '../page-html.js';
import type { BarDetail, RunRow, RunPageData } from '../data/view.js';
import { h } from './dom.js';
import { mountRunPage } from './run-page.js';
import { mountRunsList } from './runs-list.js';

declare global {
  interface Window {
    /** The page's state, for scripts and tests: the latest view and the charts. */
    minibatch?: { view: RunPageData | null; charts: Record<string, unknown>; updates: number };
  }
}

function boot(): PageBoot {
  const el = document.getElementById('minibatch-boot');
  return JSON.parse(el?.textContent ?? '{"mode":"server"}') as PageBoot;
}

function start(): void {
  const app = document.getElementById('app');
  if (app === null) return;
  const b = boot();
  if (b.mode === 'report') {
    const page = mountRunPage(app, {
      fileHref: (path) => (path.startsWith('/') ? `file://${encodeURI(path)}` : `${b.runDirHref}/${encodeURI(path)}`),
      detail: (view, index) => Promise.resolve(view.details[index] ?? null),
      badge: (view) => `report · ${new Date(view.readAt).toLocaleString('en-GB')}`,
      home: null,
    });
    page.render(b.view);
    window.minibatch = { view: b.view, charts: page.charts, updates: 1 };
    return;
  }
  const match = /^\/runs\/([^/]+)\/?$/.exec(location.pathname);
  if (match === null) {
    const list = mountRunsList(app);
    const state = { view: null, charts: {}, updates: 0 };
    window.minibatch = state;
    listen('/api/events', 'runs', (rows: RunRow[]) => {
      state.updates++;
      list.render(rows);
    });
    return;
  }
  const id = decodeURIComponent(match[1] ?? '');
  const base = `/api/runs/${encodeURIComponent(id)}`;
  const page = mountRunPage(app, {
    fileHref: (path) => `${base}/files/${encodeURIComponent(path)}`,
    detail: async (view, index) => {
      const embedded = view.details[index];
      if (embedded !== undefined) return embedded;
      const response = await fetch(`${base}/mini-batches/${index}`);
      return response.ok ? ((await response.json()) as BarDetail) : null;
    },
    badge: (view) => (view.status.state === 'running' ? 'live' : ''),
    home: '/',
  });
  const state: NonNullable<Window['minibatch']> = { view: null, charts: page.charts, updates: 0 };
  window.minibatch = state;
  listen(`${base}/events`, 'view', (view: RunPageData) => {
    state.view = view;
    state.updates++;
    page.render(view);
  });
}

/** Server-sent events: the server sends data when it changes; EventSource reconnects by itself. */
function listen<T>(url: string, event: string, onData: (data: T) => void): void {
  const source = new EventSource(url);
  source.addEventListener(event, (e) => onData(JSON.parse((e as MessageEvent<string>).data) as T));
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) document.body.prepend(h('div', { class: 'offline' }, 'Lost the server: reload to reconnect.'));
  });
}

start();
