/**
 * The run page's charts, drawn by Apache ECharts (canvas, made for large series; only the parts used
 * are bundled). The server has aggregated the data already (src/ui/data/aggregate.ts): these only
 * map a `RunPageData` to chart options. The timeline is ECharts' custom series with one rectangle per
 * bar, its documented way to draw a Gantt chart.
 */
import { BarChart, CustomChart, LineChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { OUTCOMES, type Bar, type HistogramView, type MetricsView, type ThroughputView, type TimelineView } from '../data/view.js';
import { ACCENT, OUTCOME_COLORS } from './colors.js';
import { formatDuration } from './dom.js';

echarts.use([BarChart, CustomChart, LineChart, DataZoomComponent, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type Chart = echarts.ECharts;

const FONT = { fontFamily: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif', color: '#4b5563', fontSize: 11 };

/** The chart in `el`, made once and kept across updates (a live page sets new options only). */
export function chartIn(el: HTMLElement): Chart {
  const chart = echarts.getInstanceByDom(el) ?? echarts.init(el, undefined, { renderer: 'canvas' });
  return chart;
}

export function throughputOption(t: ThroughputView): echarts.EChartsCoreOption {
  const rows = t.itemsPerSecond.map((v, i) => [t.start + i * t.bucketMs, v, t.failedTries[i] ?? 0]);
  return {
    animation: false,
    textStyle: FONT,
    grid: { left: 56, right: 56, top: 28, bottom: 28 },
    legend: { top: 0, right: 8, icon: 'roundRect', itemWidth: 12, itemHeight: 8, textStyle: FONT, data: ['items/s', 'failed tries'] },
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? v.toFixed(2) : String(v)) },
    xAxis: { type: 'time', axisLabel: FONT },
    yAxis: [
      { type: 'value', axisLabel: FONT, splitLine: { lineStyle: { color: '#eef0f4' } } },
      { type: 'value', axisLabel: FONT, splitLine: { show: false }, minInterval: 1 },
    ],
    series: [
      {
        name: 'items/s',
        type: 'line',
        showSymbol: false,
        sampling: 'lttb',
        data: rows.map((r) => [r[0], r[1]]),
        lineStyle: { color: ACCENT, width: 2 },
        itemStyle: { color: ACCENT },
        areaStyle: { color: 'rgba(56,103,214,0.12)' },
      },
      {
        name: 'failed tries',
        type: 'bar',
        yAxisIndex: 1,
        data: rows.map((r) => [r[0], r[2]]),
        itemStyle: { color: OUTCOME_COLORS.raised },
        barMaxWidth: 6,
      },
    ],
  };
}

/** Lane labels: the worker, and its machine when there are several. */
export function laneLabels(t: TimelineView): string[] {
  const machines = new Set(t.lanes.map((l) => l.machine));
  return t.lanes.map((l) => (machines.size > 1 ? `${l.machine} · ${l.worker.slice(l.machine.length + 1)}` : l.worker));
}

export function timelineOption(t: TimelineView, onTooltip: (bar: Bar) => string): echarts.EChartsCoreOption {
  const labels = laneLabels(t);
  const data = t.bars.map((b) => ({ value: [b[0], t.start + b[1], t.start + b[2], b[3], b[4], b[5], b[6], b[7]] }));
  return {
    animation: false,
    textStyle: FONT,
    grid: { left: 130, right: 24, top: 12, bottom: 56 },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const value = (p as { value?: number[] }).value;
        if (value === undefined) return '';
        const [lane, s, e, outcome, mb, attempt, count, items] = value as [number, number, number, number, number, number, number, number];
        return onTooltip([lane, s - t.start, e - t.start, outcome, mb, attempt, count, items]);
      },
    },
    dataZoom: [
      { type: 'slider', xAxisIndex: 0, height: 18, bottom: 8, filterMode: 'weakFilter', showDataShadow: false, labelFormatter: '' },
      { type: 'inside', xAxisIndex: 0, filterMode: 'weakFilter' },
    ],
    xAxis: {
      type: 'value',
      min: t.start,
      max: t.end,
      axisLabel: { ...FONT, hideOverlap: true, formatter: (v: number) => `+${formatDuration(v - t.start)}` },
      splitLine: { lineStyle: { color: '#eef0f4' } },
    },
    yAxis: {
      type: 'category',
      data: labels,
      inverse: true,
      axisLabel: { ...FONT, width: 120, overflow: 'truncate' },
      axisTick: { show: false },
      splitLine: { show: true, lineStyle: { color: '#f3f4f7' } },
    },
    series: [
      {
        type: 'custom',
        encode: { x: [1, 2], y: 0 },
        data,
        progressive: 5000,
        renderItem: (params: CustomParams, api: CustomApi) => {
          const lane = api.value(0);
          const [x0 = 0, y = 0] = api.coord([api.value(1), lane]);
          const [x1 = 0] = api.coord([api.value(2), lane]);
          const height = (api.size([0, 1])[1] ?? 0) * 0.64;
          const shape = echarts.graphic.clipRectByRect(
            { x: x0, y: y - height / 2, width: Math.max(x1 - x0, 1.5), height },
            params.coordSys,
          );
          const outcome = OUTCOMES[api.value(3)] ?? 'crash';
          return shape === undefined ? null : { type: 'rect', shape, style: { fill: OUTCOME_COLORS[outcome] }, emphasis: { style: { stroke: '#111', lineWidth: 1 } } };
        },
      },
    ],
  };
}

interface CustomParams {
  readonly coordSys: { x: number; y: number; width: number; height: number };
}
interface CustomApi {
  value(dim: number): number;
  coord(point: number[]): number[];
  size(delta: number[]): number[];
}

export function histogramOption(hist: HistogramView): echarts.EChartsCoreOption {
  const labels = hist.counts.map((_, i) => formatDuration(hist.start + i * hist.binMs));
  return {
    animation: false,
    textStyle: FONT,
    grid: { left: 48, right: 16, top: 16, bottom: 40 },
    tooltip: {
      trigger: 'axis',
      formatter: (p: unknown) => {
        const item = (p as { dataIndex: number; value: number }[])[0];
        if (item === undefined) return '';
        const from = hist.start + item.dataIndex * hist.binMs;
        return `${formatDuration(from)} – ${formatDuration(from + hist.binMs)}: <b>${item.value}</b> mini-batches`;
      },
    },
    xAxis: { type: 'category', data: labels, axisLabel: { ...FONT, hideOverlap: true }, name: 'duration', nameLocation: 'middle', nameGap: 26, nameTextStyle: FONT },
    yAxis: { type: 'value', minInterval: 1, axisLabel: FONT, splitLine: { lineStyle: { color: '#eef0f4' } } },
    series: [{ type: 'bar', data: hist.counts, itemStyle: { color: ACCENT }, barCategoryGap: '8%' }],
  };
}

export function metricsOption(m: MetricsView): echarts.EChartsCoreOption {
  const timed = m.series.every((s) => s.points.every((p) => p[0] > 1e11));
  return {
    animation: false,
    textStyle: FONT,
    grid: { left: 56, right: 16, top: 32, bottom: 28 },
    legend: { top: 0, type: 'scroll', textStyle: FONT },
    tooltip: { trigger: 'axis' },
    xAxis: { type: timed ? 'time' : 'value', axisLabel: FONT, name: timed ? '' : 'logged #' },
    yAxis: { type: 'value', axisLabel: FONT, scale: true, splitLine: { lineStyle: { color: '#eef0f4' } } },
    series: m.series.map((s) => ({ name: s.name, type: 'line', showSymbol: s.points.length < 50, sampling: 'lttb', data: s.points })),
  };
}
