// The time charts (uPlot), one question each, x = simulated seconds, from the core's
// timeline() columns. Titles, axes and legends come from the catalog; fault and scaling
// moments from the event log are marked on them (fed by the log dispatcher). The autoscaler
// chart shades the band inside which the HPA keeps its count: target × [1 − down, 1 + up], the
// tolerance fields as their schema documents them.
import uPlot from './vendor/uPlot.esm.js';
import { h } from './dom.js';
import { t, fmt } from './i18n.js';
import { faultOf } from './log.js';

const AXIS = {
  stroke: '#3d4854', grid: { stroke: '#e6eaf0', width: 1 }, ticks: { stroke: '#d6dce4', width: 1 },
  font: '11px system-ui, sans-serif', labelFont: '600 12px system-ui, sans-serif',
};
const MARK = { crash: '#b42318', slow: '#a35200', partition: '#6d28d9', recover: '#15803d', up: '#1f6feb', down: '#a35200' };
const MAX_MARKS = 400;

/** Chart specs by id (lessons name them as `chart:<id>`). */
export const CHARTS = [
  { id: 'load', y: 'chart.axis.rps', series: [
    { key: 'chart.s.offered', col: 'offered_rps', stroke: '#4a5562', dash: [6, 4] },
    { key: 'chart.s.arrived', col: 'arrived_rps', stroke: '#8aa6c1' },
    { key: 'chart.s.throughput', col: 'throughput_rps', stroke: '#1f6feb', width: 2 },
  ] },
  { id: 'latency', y: 'chart.axis.ms', series: [
    { key: 'chart.s.p50', col: 'p50_s', stroke: '#1f6feb', width: 2, k: 1000 },
    { key: 'chart.s.p99', col: 'p99_s', stroke: '#c0362c', width: 2, k: 1000 },
    { key: 'chart.s.mean', col: 'mean_s', stroke: '#4a5562', dash: [4, 3], k: 1000 },
  ], min0: true },
  { id: 'instances', y: 'chart.axis.instances', series: [
    { key: 'chart.s.ready', col: 'ready', stroke: '#23865a', width: 2 },
    { key: 'chart.s.desired', col: 'desired', stroke: '#4a5562', dash: [6, 4] },
  ], min0: true, scaleMarks: true },
  { id: 'drops', y: 'chart.axis.per_s', series: [
    { key: 'chart.s.dropped', col: 'dropped', stroke: '#b86e00', width: 2 },
    { key: 'chart.s.failed', col: 'failed', stroke: '#b42318', width: 2 },
  ], min0: true },
  { id: 'utilization', y: 'chart.axis.pct', series: [
    { key: 'chart.s.utilization', col: 'utilization', stroke: '#7a3db8', width: 2, k: 100 },
  ], range: [0, 105] },
  { id: 'in_flight', y: 'chart.axis.requests', series: [
    { key: 'chart.s.in_flight', col: 'in_flight', stroke: '#0f766e', width: 2, fill: 'rgba(15,118,110,0.10)' },
  ], min0: true },
];

/** Model servers only (the timeline has these columns when instances.model is llm). */
export const SERVING_CHARTS = [
  { id: 'ttft', y: 'chart.axis.ms', series: [
    { key: 'chart.s.p50', col: 'ttft_p50_s', stroke: '#1f6feb', width: 2, k: 1000 },
    { key: 'chart.s.p99', col: 'ttft_p99_s', stroke: '#c0362c', width: 2, k: 1000 },
  ], min0: true, serving: true },
  { id: 'tpot', y: 'chart.axis.ms', series: [
    { key: 'chart.s.p50', col: 'tpot_p50_s', stroke: '#1f6feb', width: 2, k: 1000 },
    { key: 'chart.s.p99', col: 'tpot_p99_s', stroke: '#c0362c', width: 2, k: 1000 },
  ], min0: true, serving: true },
];

export const AUTOSCALER_CHART = { id: 'autoscaler', y: 'chart.axis.instances', series: [
  { key: 'chart.s.ready', col: 'ready', stroke: '#23865a', width: 2.5 },
  { key: 'chart.s.desired', col: 'desired', stroke: '#1d2733', dash: [6, 4], stepped: true },
  { key: 'chart.s.utilization', col: 'utilization', stroke: '#7a3db8', width: 1.25, k: 100, scale: 'pct' },
], min0: true, scaleMarks: true, band: true };

export class Charts {
  /**
   * @param {object} o
   * @param {(id: string) => void} [o.onPng]  a chart's "save as PNG" button
   */
  constructor(o = {}) {
    this.o = o;
    this.marks = [];
    this.band = null;
    this.height = 170;
    this.plots = new Map(); // id → {spec, plot, fig, holder}
    this.data = null;
    this.ro = new ResizeObserver(() => this.resize());
  }

  /** The figure for one chart (built now, plotted once attached). */
  figure(spec) {
    const holder = h('div', { class: 'chart' });
    const title = t(`chart.${spec.id}.title`);
    const fig = h('figure', { class: 'chart-card', id: `chart-${spec.id}`, 'data-show': `chart:${spec.id}` },
      h('figcaption', null, h('span', { class: 'cap' }, title),
        h('button', { type: 'button', class: 'small ghost png', 'aria-label': t('export.chart_png', { chart: title }), onclick: () => this.o.onPng?.(spec.id) }, t('export.png'))),
      holder,
      h('p', { class: 'chart-note' }, t(`chart.${spec.id}.note`)));
    this.plots.set(spec.id, { spec, fig, holder, plot: null });
    return fig;
  }

  /** Creates the uPlot instances (after the figures are in the document, so they have a width). */
  mount() {
    for (const entry of this.plots.values()) {
      if (entry.plot) continue;
      entry.plot = this.make(entry.spec, entry.holder);
      this.ro.observe(entry.holder);
    }
    if (this.data) this.update(this.data);
  }

  destroy() {
    this.ro.disconnect();
    for (const e of this.plots.values()) e.plot?.destroy();
    this.plots.clear();
  }

  width(holder) {
    return Math.max(180, Math.floor(holder.getBoundingClientRect().width || holder.parentElement?.clientWidth || 300));
  }

  make(spec, holder) {
    const marks = () => this.marks;
    const band = () => this.band;
    const value = (u, v) => (v == null ? '—' : fmt.num(v));
    const axisValues = (u, vals) => vals.map((v) => fmt.num(v));
    const axes = [
      { ...AXIS, label: t('chart.axis.time'), labelSize: 18, size: 32, values: axisValues },
      { ...AXIS, label: t(spec.y), labelSize: 18, size: 48, values: axisValues },
    ];
    const scales = {
      x: { time: false },
      y: spec.range ? { range: spec.range } : { range: (u, lo, hi) => [spec.min0 ? 0 : Math.min(0, lo ?? 0), hi > 0 ? hi * 1.12 : 1] },
    };
    if (spec.band) {
      scales.pct = { range: () => [0, Math.max(105, Math.ceil(((band()?.hi ?? 0) + 5) / 10) * 10)] };
      axes.push({ ...AXIS, scale: 'pct', side: 1, label: t('chart.axis.pct'), labelSize: 18, size: 44, grid: { show: false }, values: axisValues });
    }
    const opts = {
      width: this.width(holder),
      height: this.height,
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales,
      axes,
      series: [
        { label: t('chart.s.time'), value: (u, v) => (v == null ? '—' : fmt.s(v)) },
        ...spec.series.map((s) => ({
          label: t(s.key), stroke: s.stroke, width: s.width ?? 1.5, dash: s.dash, fill: s.fill, scale: s.scale ?? 'y',
          points: { show: false }, value, paths: s.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
        })),
      ],
      hooks: {
        drawClear: spec.band ? [(u) => drawBand(u, band())] : [],
        draw: [(u) => drawMarks(u, marks(), spec.scaleMarks)],
      },
    };
    return new uPlot(opts, [[], ...spec.series.map(() => [])], holder);
  }

  resize() {
    for (const { plot, holder } of this.plots.values()) {
      if (!plot) continue;
      const w = this.width(holder);
      if (Math.abs(w - plot.width) > 2 || plot.height !== this.height) plot.setSize({ width: w, height: this.height });
    }
  }

  setHeight(px) {
    this.height = px;
    this.resize();
  }

  /** @param {object} tl  the core's timeline() columns */
  update(tl) {
    this.data = tl;
    for (const { spec, plot } of this.plots.values()) {
      if (!plot) continue;
      const data = [tl.t_s, ...spec.series.map((s) => {
        // a column the run does not have (serving columns of a web fleet) draws as gaps
        const col = tl[s.col]?.length === tl.t_s.length ? tl[s.col] : tl.t_s.map(() => null);
        return s.k ? col.map((v) => (v == null ? null : v * s.k)) : col;
      })];
      plot.setData(data);
      if (tl.t_s.length && !(plot.cursor.left >= 0)) plot.setLegend({ idx: tl.t_s.length - 1 });
    }
  }

  clear() {
    this.data = null;
    this.marks = [];
    for (const { spec, plot } of this.plots.values()) plot?.setData([[], ...spec.series.map(() => [])]);
  }

  /** The log dispatcher's reader: fault and scaling moments become marks. */
  onLog(entries) {
    if (entries == null) { this.marks = []; this.redraw(); return; }
    let added = false;
    for (const e of entries) {
      const fault = faultOf(e);
      if (fault) this.marks.push({ t: e.t_s, kind: fault, label: `${e.instance == null ? '' : `#${e.instance} `}${t(`fault.${fault}`)}` });
      else if (e.kind === 'scaled') this.marks.push({ t: e.t_s, kind: e.to > e.from ? 'up' : 'down', scale: true, label: `${e.from}→${e.to}` });
      else continue;
      added = true;
    }
    if (this.marks.length > MAX_MARKS) this.marks.splice(0, this.marks.length - MAX_MARKS);
    if (added) this.redraw();
  }

  redraw() {
    for (const { plot } of this.plots.values()) if (plot?.data?.[0]?.length) plot.redraw(false, false);
  }

  /** The autoscaler's band: {target, lo, hi} in percent, or null. */
  setBand(band) {
    if (JSON.stringify(band) === JSON.stringify(this.band)) return;
    this.band = band;
    this.redraw();
  }

  /** A chart as a PNG (white background, title on top). */
  async png(id) {
    const e = this.plots.get(id);
    if (!e?.plot) return null;
    const src = e.plot.ctx.canvas;
    const dpr = window.devicePixelRatio || 1;
    const head = Math.round(28 * dpr);
    const c = h('canvas', { width: src.width, height: src.height + head });
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.fillStyle = '#1d2733';
    ctx.font = `600 ${Math.round(14 * dpr)}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.fillText(t(`chart.${id}.title`), 8 * dpr, head / 2);
    ctx.drawImage(src, 0, head);
    return new Promise((ok) => c.toBlob(ok, 'image/png'));
  }
}

function drawBand(u, band) {
  if (!band) return;
  const { ctx } = u;
  const { left, width, top, height } = u.bbox;
  const y = (v) => u.valToPos(v, 'pct', true);
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  if (band.hi > band.lo) {
    const y1 = y(band.hi), y0 = y(band.lo);
    ctx.fillStyle = 'rgba(122, 61, 184, 0.12)';
    ctx.fillRect(left, y1, width, y0 - y1);
  }
  ctx.strokeStyle = 'rgba(122, 61, 184, 0.75)';
  ctx.setLineDash([2, 3]);
  ctx.beginPath();
  const yt = Math.round(y(band.target)) + 0.5;
  ctx.moveTo(left, yt);
  ctx.lineTo(left + width, yt);
  ctx.stroke();
  ctx.restore();
}

function drawMarks(u, marks, withScale) {
  if (!marks.length) return;
  const { ctx, bbox } = u;
  const x0 = u.scales.x.min, x1 = u.scales.x.max;
  if (x0 == null || x1 == null) return;
  const dpr = window.devicePixelRatio || 1;
  ctx.save();
  ctx.font = `600 ${11 * dpr}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  let lastX = -1e9, row = 0;
  for (const m of marks) {
    if ((m.scale && !withScale) || m.t < x0 || m.t > x1) continue;
    const x = Math.round(u.valToPos(m.t, 'x', true)) + 0.5;
    const color = MARK[m.kind] ?? '#444';
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5 * dpr;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    row = x - lastX < 70 * dpr ? row + 1 : 0;
    lastX = x;
    const w = ctx.measureText(m.label).width + 6 * dpr;
    const lx = Math.min(x + 2 * dpr, bbox.left + bbox.width - w);
    const ly = bbox.top + 2 * dpr + (row % 4) * 14 * dpr;
    ctx.fillStyle = 'rgba(255,255,255,0.9)';
    ctx.fillRect(lx, ly, w, 13 * dpr);
    ctx.fillStyle = color;
    ctx.fillText(m.label, lx + 3 * dpr, ly + 1 * dpr);
  }
  ctx.restore();
}

/**
 * One model-server replica over time, from the core's replica_history(id): batch and waiting
 * requests on the left axis, KV-cache use (a fraction, labelled in percent) on the right.
 * The data given to uPlot is the core's columns unchanged.
 */
export class ReplicaChart {
  constructor() {
    this.holder = h('div', { class: 'chart' });
    this.plot = null;
    this.data = null;
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(this.holder);
  }

  make() {
    const count = (u, v) => (v == null ? '—' : fmt.int(v));
    const share = (u, v) => (v == null ? '—' : fmt.pct(v));
    const opts = {
      width: Math.max(180, Math.floor(this.holder.getBoundingClientRect().width || 300)),
      height: 170,
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: {
        x: { time: false },
        y: { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.12 : 1] },
        kv: { range: [0, 1.05] },
      },
      axes: [
        { ...AXIS, label: t('chart.axis.time'), labelSize: 18, size: 32, values: (u, vals) => vals.map((v) => fmt.num(v)) },
        { ...AXIS, label: t('chart.axis.sequences'), labelSize: 18, size: 44, values: (u, vals) => vals.map((v) => fmt.num(v)) },
        { ...AXIS, scale: 'kv', side: 1, label: t('chart.axis.kv_pct'), labelSize: 18, size: 44, grid: { show: false }, values: (u, vals) => vals.map((v) => fmt.pct(v)) },
      ],
      series: [
        { label: t('chart.s.time'), value: (u, v) => (v == null ? '—' : fmt.s(v)) },
        { label: t('chart.s.batch'), stroke: '#1f6feb', width: 2, points: { show: false }, value: count, paths: uPlot.paths.stepped({ align: 1 }) },
        { label: t('chart.s.waiting'), stroke: '#b86e00', width: 1.5, dash: [5, 3], points: { show: false }, value: count, paths: uPlot.paths.stepped({ align: 1 }) },
        { label: t('chart.s.kv_use'), stroke: '#0f766e', width: 2, fill: 'rgba(15,118,110,0.10)', scale: 'kv', points: { show: false }, value: share },
      ],
    };
    this.plot = new uPlot(opts, [[], [], [], []], this.holder);
  }

  /** @param {{t_s: number[], batch: number[], waiting: number[], kv_use: number[]}} hist */
  update(hist) {
    this.data = [hist.t_s, hist.batch, hist.waiting, hist.kv_use];
    if (!this.plot) {
      if (!this.holder.isConnected) return;
      this.make();
    }
    this.plot.setData(this.data);
    // uPlot redraws (and resets its legend to the cursor) after this task: show the last sample then
    const plot = this.plot;
    requestAnimationFrame(() => {
      if (plot === this.plot && hist.t_s.length && !(plot.cursor.left >= 0)) plot.setLegend({ idx: hist.t_s.length - 1 });
    });
  }

  resize() {
    if (!this.plot) return;
    const w = Math.max(180, Math.floor(this.holder.getBoundingClientRect().width || 0));
    if (w > 0 && Math.abs(w - this.plot.width) > 2) this.plot.setSize({ width: w, height: this.plot.height });
  }

  clear() {
    this.data = null;
    this.plot?.setData([[], [], [], []]);
  }

  destroy() {
    this.ro.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }
}
