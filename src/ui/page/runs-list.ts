/** The runs list: one row per run, sortable by any column, updated live. */
import type { RunRow } from '../data/view.js';
import { formatCount, formatDuration, formatTime, h } from './dom.js';

type SortKey = 'id' | 'module' | 'state' | 'createdAt' | 'durationMs' | 'progress' | 'failed';

const COLUMNS: readonly { key: SortKey; label: string }[] = [
  { key: 'id', label: 'Run' },
  { key: 'module', label: 'Module' },
  { key: 'state', label: 'State' },
  { key: 'createdAt', label: 'Started' },
  { key: 'durationMs', label: 'Duration' },
  { key: 'progress', label: 'Progress' },
  { key: 'failed', label: 'Failures' },
];

function sortValue(r: RunRow, key: SortKey): string | number {
  switch (key) {
    case 'durationMs':
      return r.durationMs ?? -1;
    case 'progress':
      return r.items.total === 0 ? 0 : r.items.done / r.items.total;
    case 'failed':
      return r.miniBatches.failed;
    default:
      return r[key];
  }
}

export interface RunsList {
  render(rows: readonly RunRow[]): void;
}

export function mountRunsList(root: HTMLElement): RunsList {
  let sort: { key: SortKey; desc: boolean } = { key: 'createdAt', desc: true };
  let rows: readonly RunRow[] = [];
  const body = h('tbody');
  const headRow = h('tr');
  const count = h('span', { class: 'count' });
  root.replaceChildren(
    h('header', { class: 'top' }, h('div', { class: 'brand' }, h('span', {}, 'minibatch'), h('span', { class: 'sep' }, '/'), h('span', {}, 'runs')), h('h1', {}, 'Runs ', count, h('span', { class: 'badge' }, 'live'))),
    h('main', {}, h('section', { class: 'card' }, h('table', { class: 'runs', id: 'runs' }, h('thead', {}, headRow), body))),
  );
  const draw = (): void => {
    headRow.replaceChildren(
      ...COLUMNS.map((c) =>
        h('th', { class: 'sortable', 'data-key': c.key, 'aria-sort': sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none', onclick: () => {
          sort = { key: c.key, desc: sort.key === c.key ? !sort.desc : false };
          draw();
        } }, c.label, sort.key === c.key ? (sort.desc ? ' ▾' : ' ▴') : ''),
      ),
    );
    const sorted = [...rows].sort((a, b) => {
      const x = sortValue(a, sort.key);
      const y = sortValue(b, sort.key);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en', { numeric: true });
      return sort.desc ? -c : c;
    });
    count.textContent = `${rows.length}`;
    body.replaceChildren(
      ...(sorted.length === 0
        ? [h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty' }, 'No runs here yet: start one with `minibatch run`.'))]
        : sorted.map((r) => {
            const pct = r.items.total === 0 ? 0 : (r.items.done / r.items.total) * 100;
            return h('tr', { 'data-run': r.id, 'data-state': r.state },
              h('td', {}, h('a', { href: `/runs/${encodeURIComponent(r.id)}` }, r.id)),
              h('td', {}, r.module),
              h('td', {}, h('span', { class: `state state-${r.state}`, title: r.problem ?? '' }, r.state)),
              h('td', {}, formatTime(r.createdAt)),
              h('td', {}, formatDuration(r.durationMs)),
              h('td', { class: 'progress-cell' },
                h('div', { class: 'bar thin' }, h('span', { class: 'ok', style: `width:${pct.toFixed(1)}%` })),
                h('span', {}, `${formatCount(r.miniBatches.done)}/${formatCount(r.miniBatches.total)} mini-batches`),
              ),
              h('td', { class: r.miniBatches.failed > 0 ? 'bad' : '' }, r.miniBatches.failed > 0 ? `${formatCount(r.miniBatches.failed)} mini-batches, ${formatCount(r.items.failed)} items` : '–'),
            );
          })),
    );
  };
  return {
    render(next) {
      rows = next;
      draw();
    },
  };
}
