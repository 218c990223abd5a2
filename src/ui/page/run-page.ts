/**
 * A run's page: progress, throughput over time, the timeline of workers, the histogram of
 * durations, failures grouped, the job, metrics and links. `render` is called again with each new
 * view of a live run: charts get new options, the other sections are rebuilt, and what the reader
 * opened (a failure, a bar's details) stays open.
 */
import { OUTCOMES, type Bar, type BarDetail, type FailureView, type RunPageData } from '../data/view.js';
import { chartIn, histogramOption, laneLabels, metricsOption, throughputOption, timelineOption, type Chart } from './charts.js';
import { OUTCOME_COLORS } from './colors.js';
import { formatCount, formatDuration, formatRate, formatTime, h } from './dom.js';

export interface RunPageSource {
  /** A link to a file of the run (relative to the run directory, or absolute). */
  fileHref(path: string): string;
  /** A mini-batch's details: embedded (report) or asked of the server. */
  detail(view: RunPageData, miniBatch: number): Promise<BarDetail | null>;
  /** Shown beside the title: `live`, or `report written …`; nothing when empty. */
  badge(view: RunPageData): string;
  /** The runs list, when there is one (not in a report). */
  readonly home: string | null;
}

export interface RunPage {
  render(view: RunPageData): void;
  /** For scripts and tests: the charts, by name. */
  readonly charts: Record<string, Chart>;
}

export function mountRunPage(root: HTMLElement, source: RunPageSource): RunPage {
  const openFailures = new Set<string>();
  const charts: Record<string, Chart> = {};
  let current: RunPageData | null = null;

  const header = h('header', { class: 'top' });
  const progress = h('section', { class: 'card progress', id: 'progress' });
  const throughput = h('div', { class: 'chart', id: 'throughput-chart' });
  const timeline = h('div', { class: 'chart timeline', id: 'timeline-chart' });
  const barPanel = h('div', { class: 'bar-detail', id: 'bar-detail' }, h('p', { class: 'hint' }, 'Hover a bar for its mini-batch; click it for its items, tries and traceback.'));
  const histogram = h('div', { class: 'chart small', id: 'histogram-chart' });
  const failures = h('section', { class: 'card', id: 'failures' });
  const job = h('section', { class: 'card', id: 'job' });
  const metrics = h('section', { class: 'card', id: 'metrics' });
  const links = h('section', { class: 'card', id: 'links' });
  const metricsChart = h('div', { class: 'chart small', id: 'metrics-chart' });
  const legend = h('div', { class: 'legend' }, ...OUTCOMES.map((o) => h('span', {}, h('i', { style: `background:${OUTCOME_COLORS[o]}` }), o.replace('_', ' '))));

  root.replaceChildren(
    header,
    h('main', {},
      progress,
      h('section', { class: 'card' }, h('h2', {}, 'Throughput over time'), throughput),
      h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'Timeline of workers'), legend), timeline, barPanel),
      h('div', { class: 'row' }, h('section', { class: 'card' }, h('h2', {}, 'Mini-batch durations'), histogram), failures),
      h('div', { class: 'row' }, job, h('div', { class: 'stack' }, metrics, links)),
    ),
  );

  const chart = (name: string, el: HTMLElement): Chart => (charts[name] ??= chartIn(el));
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));

  const showBar = async (bar: Bar): Promise<void> => {
    if (current === null) return;
    const view = current;
    barPanel.replaceChildren(h('p', { class: 'hint' }, `mini-batch ${bar[4]}…`));
    const detail = bar[6] > 1 ? null : await source.detail(view, bar[4]);
    barPanel.replaceChildren(barDetailView(bar, detail));
  };

  return {
    charts,
    render(view: RunPageData): void {
      current = view;
      header.replaceChildren(...headerView(view, source));
      progress.replaceChildren(...progressView(view));
      if (view.throughput !== null) chart('throughput', throughput).setOption(throughputOption(view.throughput), { notMerge: true });
      else throughput.replaceChildren(h('p', { class: 'empty' }, 'No try has finished yet.'));
      if (view.timeline !== null) {
        const t = view.timeline;
        timeline.style.height = `${Math.max(140, t.lanes.length * 26 + 80)}px`;
        timeline.dataset.lanes = String(t.lanes.length);
        timeline.dataset.bars = String(t.bars.length);
        const c = chart('timeline', timeline);
        c.resize();
        c.setOption(timelineOption(t, (bar) => barTooltip(bar, t.lanes[bar[0]]?.worker ?? '')), { notMerge: true });
        c.off('click');
        c.on('click', (p) => {
          const v = (p as { value?: number[] }).value;
          if (v === undefined) return;
          const [lane = 0, s = 0, e = 0, outcome = 0, mb = 0, attempt = 0, count = 1, items = 0] = v;
          void showBar([lane, s - t.start, e - t.start, outcome, mb, attempt, count, items]);
        });
        timeline.title = laneLabels(t).join(', ');
      } else timeline.replaceChildren(h('p', { class: 'empty' }, 'No try has finished yet.'));
      if (view.histogram !== null) chart('histogram', histogram).setOption(histogramOption(view.histogram), { notMerge: true });
      else histogram.replaceChildren(h('p', { class: 'empty' }, 'No mini-batch has run yet.'));
      failures.replaceChildren(...failuresView(view.failures, openFailures, source));
      job.replaceChildren(...jobView(view));
      metrics.replaceChildren(...metricsView(view, metricsChart));
      if (view.metrics !== null && view.metrics.series.length > 0) chart('metrics', metricsChart).setOption(metricsOption(view.metrics), { notMerge: true });
      links.replaceChildren(...linksView(view, source));
    },
  };
}

function headerView(v: RunPageData, source: RunPageSource): Node[] {
  const s = v.status;
  return [
    h('div', { class: 'brand' }, source.home === null ? h('span', {}, 'minibatch') : h('a', { href: source.home }, 'minibatch'), h('span', { class: 'sep' }, '/'), h('span', {}, 'run')),
    h('h1', {}, `${s.module.name} `, h('span', { class: 'version' }, s.module.version), ' ', h('span', { class: `state state-${s.state}`, id: 'run-state' }, s.state), source.badge(v) !== '' && h('span', { class: 'badge' }, source.badge(v))),
    h('div', { class: 'meta' }, h('span', {}, 'run ', h('code', {}, s.runId)), h('span', {}, `started ${formatTime(s.createdAt)}`), h('span', {}, h('code', {}, s.runDir))),
    ...(s.result !== null ? [h('div', { class: `result result-${s.result.status}` }, s.result.reason)] : []),
    ...(s.next !== null ? [h('div', { class: 'next' }, 'next: ', h('code', {}, s.next))] : []),
  ];
}

function figure(label: string, value: string, key: string, tone = ''): HTMLElement {
  return h('div', { class: `figure ${tone}` }, h('div', { class: 'value', 'data-figure': key }, value), h('div', { class: 'label' }, label));
}

function progressView(v: RunPageData): Node[] {
  const s = v.status;
  const p = v.progress;
  const total = Math.max(1, s.items.total);
  const pct = (n: number): string => `${((n / total) * 100).toFixed(2)}%`;
  const done = s.items.succeeded + s.items.failed;
  return [
    h('div', { class: 'progress-head' },
      h('h2', {}, 'Progress'),
      h('span', { class: 'pct', 'data-figure': 'percent' }, `${s.items.total === 0 ? 0 : Math.floor((done / s.items.total) * 100)}%`),
      h('span', { class: 'eta' }, s.state === 'running' ? `ETA ${formatDuration(p.etaMs)}` : `took ${formatDuration(p.elapsedMs)}`),
    ),
    h('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': done, 'aria-valuemax': s.items.total },
      h('span', { class: 'ok', style: `width:${pct(s.items.succeeded)}` }),
      h('span', { class: 'bad', style: `width:${pct(s.items.failed)}` }),
    ),
    h('div', { class: 'figures' },
      figure('items done', `${formatCount(done)} / ${formatCount(s.items.total)}`, 'items.done'),
      figure('items succeeded', formatCount(s.items.succeeded), 'items.succeeded', 'good'),
      figure('items failed', formatCount(s.items.failed), 'items.failed', s.items.failed > 0 ? 'bad' : ''),
      figure('items pending', formatCount(s.items.pending), 'items.pending'),
      figure('mini-batches: succeeded · partial · failed / all', `${formatCount(s.miniBatches.succeeded)} · ${formatCount(s.miniBatches.partial)} · ${formatCount(s.miniBatches.failed)} / ${formatCount(s.miniBatches.total)}`, 'miniBatches', 'wide'),
      figure('tries', formatCount(s.tries), 'tries'),
      figure('whole run', formatRate(p.wholeRunPerSecond), 'throughput.wholeRun'),
      figure('last minute', formatRate(p.lastMinutePerSecond), 'throughput.lastMinute'),
      figure('ETA', s.state === 'running' ? formatDuration(p.etaMs) : '–', 'eta'),
    ),
  ];
}

function barTooltip(bar: Bar, worker: string): string {
  const outcome = OUTCOMES[bar[3]] ?? 'crash';
  const what = bar[6] > 1 ? `mini-batches ${bar[4]}… (${bar[6]} merged)` : `mini-batch ${bar[4]}, try ${bar[5]}`;
  return `<b>${what}</b><br>${escape(worker)}<br>${bar[7]} items · ${formatDuration(bar[2] - bar[1])}<br><span style="color:${OUTCOME_COLORS[outcome]}">${outcome}</span>`;
}

function barDetailView(bar: Bar, detail: BarDetail | null): HTMLElement {
  const outcome = OUTCOMES[bar[3]] ?? 'crash';
  if (bar[6] > 1) {
    return h('div', {}, h('h3', {}, `${bar[6]} mini-batches from ${bar[4]}, merged`), h('p', {}, `${bar[7]} items in ${formatDuration(bar[2] - bar[1])}; zoom in (drag the slider) to see them apart.`));
  }
  const out = h('div', { 'data-mini-batch': bar[4] }, h('h3', {}, `mini-batch ${bar[4]}, try ${bar[5]} `, h('span', { class: `pill`, style: `background:${OUTCOME_COLORS[outcome]}` }, outcome)));
  if (detail === null) {
    out.append(h('p', { class: 'hint' }, `${bar[7]} items, ${formatDuration(bar[2] - bar[1])}. Its items are not in this report; \`minibatch ui\` shows them.`));
    return out;
  }
  out.append(
    h('p', {}, `${detail.itemCount} items${detail.itemCount > detail.items.length ? ` (first ${detail.items.length})` : ''}:`),
    h('ul', { class: 'items' }, ...detail.items.map((i) => h('li', {}, h('code', {}, i)))),
    h('table', { class: 'tries' },
      h('tr', {}, h('th', {}, 'try'), h('th', {}, 'worker'), h('th', {}, 'outcome'), h('th', {}, 'started'), h('th', {}, 'duration')),
      ...detail.tries.map((t) => h('tr', {}, h('td', {}, t.attempt), h('td', {}, t.worker), h('td', {}, t.outcome), h('td', {}, formatTime(t.startedAt)), h('td', {}, formatDuration(t.durationMs)))),
    ),
  );
  for (const t of detail.tries) {
    if (t.error === null) continue;
    out.append(h('div', { class: 'traceback-block' }, h('h4', {}, `try ${t.attempt}: ${t.error.type}: ${t.error.message.split('\n')[0] ?? ''}`), h('pre', { class: 'traceback' }, t.error.traceback || t.error.message)));
  }
  return out;
}

function failuresView(groups: readonly FailureView[], open: Set<string>, source: RunPageSource): Node[] {
  const total = groups.reduce((n, g) => n + g.count, 0);
  const head = h('h2', {}, 'Failures ', h('span', { class: 'count' }, total === 0 ? 'none' : `${formatCount(total)} failed tries`));
  if (groups.length === 0) return [head, h('p', { class: 'empty' }, 'No try failed.')];
  return [
    head,
    ...groups.map((g) => {
      const key = `${g.outcome}|${g.type}|${g.message}`;
      const e = g.example;
      const details = h('details', { class: 'failure', open: open.has(key) },
        h('summary', {}, h('span', { class: 'n' }, `${formatCount(g.count)}×`), h('b', {}, g.type), ' ', h('span', { class: 'msg' }, g.message), h('span', { class: 'outcome' }, g.outcome)),
        h('p', {}, `latest: mini-batch ${e.miniBatch}, try ${e.attempt}, on ${e.worker}, after ${formatDuration(e.durationMs)}`),
        h('h4', {}, 'Traceback'),
        h('pre', { class: 'traceback' }, e.traceback || e.message || '(none)'),
        h('h4', {}, `Items (${e.itemCount})`),
        h('ul', { class: 'items' }, ...e.items.map((i) => h('li', {}, h('code', {}, i)))),
        h('h4', {}, 'Worker log (tail) ', h('a', { href: source.fileHref(e.workerLog), target: '_blank' }, e.workerLog)),
        h('pre', { class: 'log' }, e.workerLogTail || '(empty)'),
      );
      details.addEventListener('toggle', () => (details.open ? open.add(key) : open.delete(key)));
      return details;
    }),
  ];
}

function table(rows: readonly (readonly (string | Node)[])[], head?: readonly string[]): HTMLTableElement {
  return h('table', { class: 'kv' },
    ...(head === undefined ? [] : [h('tr', {}, ...head.map((c) => h('th', {}, c)))]),
    ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c)))),
  );
}

function jobView(v: RunPageData): Node[] {
  const j = v.job;
  const record = (title: string, r: Readonly<Record<string, string>>): Node[] =>
    Object.keys(r).length === 0 ? [] : [h('h3', {}, title), table(Object.entries(r).map(([k, val]) => [k, h('code', {}, val)]))];
  return [
    h('h2', {}, 'Job'),
    table([
      ['module', h('span', {}, `${j.module.name} ${j.module.version} `, h('code', {}, j.module.file))],
      ['job file', j.jobFile ?? '(none)'],
      ['backend', j.backend],
      ['interpreter', h('code', {}, j.interpreter)],
      ['working dir', h('code', {}, j.workingDir)],
      ['command', h('code', { class: 'command' }, j.command)],
      ['minibatch', j.minibatchVersion],
    ]),
    ...record('Inputs', j.inputs),
    ...record('Parameters', j.parameters),
    ...record('Outputs', j.outputs),
    h('h3', {}, 'Settings'),
    table(j.settings.map((s) => [h('code', {}, s.key), s.value, h('span', { class: 'source' }, s.source)]), ['setting', 'value', 'from']),
  ];
}

/** The metrics section; `chartEl` (kept across updates) is placed in it when there are series. */
function metricsView(v: RunPageData, chartEl: HTMLElement): Node[] {
  const m = v.metrics;
  if (m === null) return [h('h2', {}, 'Metrics'), h('p', { class: 'empty' }, 'The script logged no metrics (Run.log writes logs/metrics.jsonl).')];
  const out: Node[] = [h('h2', {}, 'Metrics ', h('span', { class: 'count' }, m.file))];
  if (m.series.length > 0) out.push(chartEl);
  const latest = Object.entries(m.latest);
  if (latest.length > 0) out.push(table(latest.map(([k, val]) => [k, h('code', {}, val)])));
  if (m.unreadable > 0) out.push(h('p', { class: 'hint' }, `${m.unreadable} lines were not metrics and were skipped.`));
  return out;
}

/** The run's own files as a list, and each worker's logs as a row of a table. */
function linksView(v: RunPageData, source: RunPageSource): Node[] {
  const link = (label: string, path: string): HTMLElement => h('a', { href: source.fileHref(path), target: '_blank', title: path }, label);
  const main = v.links.filter((l) => l.worker === null);
  const workers = [...new Set(v.links.flatMap((l) => (l.worker === null ? [] : [l.worker])))];
  const kinds = [...new Set(v.links.flatMap((l) => (l.worker === null ? [] : [l.label])))];
  const cell = (worker: string, kind: string): Node => {
    const l = v.links.find((x) => x.worker === worker && x.label === kind);
    return l === undefined ? h('span', { class: 'hint' }, '–') : link(kind, l.path);
  };
  return [
    h('h2', {}, 'Logs and outputs'),
    h('ul', { class: 'links' }, ...main.map((l) => h('li', {}, link(l.label, l.path), h('code', {}, l.path)))),
    ...(workers.length === 0 ? [] : [h('h3', {}, 'Worker logs'), table(workers.map((w) => [w, ...kinds.map((k) => cell(w, k))]))]),
  ];
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
