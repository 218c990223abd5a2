/**
 * The page's HTML: a shell that loads the page's script and style from the server (`minibatch ui`),
 * or one self-contained file with the script, the style and the run's data inlined (`minibatch
 * report`), which opens from disk with no network. Both run the same script (src/ui/page/), bundled
 * at build time into `dist/ui-page/` (scripts/bundle-cli.mjs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../core/package-root.js';
import type { RunPageData } from './data/view.js';

export const PAGE_ASSETS = join(PACKAGE_ROOT, 'dist', 'ui-page');

export interface PageAssets {
  readonly js: string;
  readonly css: string;
}

let assets: PageAssets | null = null;

/** The bundled script and style; read once. */
export function pageAssets(): PageAssets {
  if (assets === null) {
    try {
      assets = { js: readFileSync(join(PAGE_ASSETS, 'page.js'), 'utf8'), css: readFileSync(join(PAGE_ASSETS, 'page.css'), 'utf8') };
    } catch (error) {
      throw new Error(`minibatch is installed incompletely: the web page's files are missing from ${PAGE_ASSETS} (run \`npm run build\`)`, {
        cause: error,
      });
    }
  }
  return assets;
}

/** What the page's script reads first: where its data comes from. */
export type PageBoot =
  | { readonly mode: 'server' }
  | { readonly mode: 'report'; readonly view: RunPageData; readonly runDirHref: string };

/** The shell the server sends for every page; the script fetches the rest. */
export function shellHtml(title: string): string {
  return document(title, '<link rel="stylesheet" href="/assets/page.css">', bootScript({ mode: 'server' }) + '<script src="/assets/page.js"></script>');
}

/** One self-contained file: no request leaves it (a strict Content-Security-Policy says so too). */
export function reportHtml(view: RunPageData, runDirHref: string): string {
  const { js, css } = pageAssets();
  const head =
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">` +
    `<style>${css.replace(/<\/style/gi, '<\\/style')}</style>`;
  const body = bootScript({ mode: 'report', view, runDirHref }) + `<script>${js.replace(/<\/script/gi, '<\\/script')}</script>`;
  return document(`${view.job.module.name} · ${view.id} · minibatch report`, head, body);
}

/** JSON in a script element, with `<` escaped so that no text in it can close the element. */
function bootScript(boot: PageBoot): string {
  return `<script type="application/json" id="minibatch-boot">${JSON.stringify(boot).replace(/</g, '\\u003c')}</script>`;
}

function document(title: string, head: string, body: string): string {
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title>${head}</head>` +
    `<body><div id="app"></div>${body}</body></html>\n`
  );
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
