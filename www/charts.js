// Small multiples with uPlot: one chart per question, x = simulated seconds. Redrawn only when
// the simulation has pushed a new one-second sample (the caller checks timeline_total()).
import uPlot from './vendor/uPlot.esm.js';

const AXIS = { stroke: '#4a5562', grid: { stroke: '#e9edf2', width: 1 }, ticks: { stroke: '#d6dce4', width: 1 }, font: '11px system-ui, sans-serif', labelFont: '600 11px system-ui, sans-serif' };

const SPECS = [
  {
    el: 'ch-load', y: 'req/s',
    series: [
      { label: 'offered L', col: 'offered_rps', stroke: '#5b6775', dash: [6, 4] },
      { label: 'arrived', col: 'arrived_rps', stroke: '#9db4cc' },
      { label: 'throughput', col: 'throughput_rps', stroke: '#1f6feb', width: 2 },
    ],
  },
  {
    el: 'ch-inst', y: 'instances',
    series: [
      { label: 'ready', col: 'ready', stroke: '#2fa36b', width: 2 },
      { label: 'desired', col: 'desired', stroke: '#5b6775', dash: [6, 4] },
    ],
    min0: true,
  },
  {
    el: 'ch-lat', y: 'latency (ms)',
    series: [
      { label: 'p50', col: 'p50_s', stroke: '#1f6feb', width: 2, k: 1000 },
      { label: 'p99', col: 'p99_s', stroke: '#d64541', width: 2, k: 1000 },
    ],
    min0: true,
  },
  {
    el: 'ch-drop', y: 'requests / s',
    series: [
      { label: 'dropped (queue full)', col: 'dropped', stroke: '#e08a00', width: 2 },
      { label: 'failed', col: 'failed', stroke: '#b42318', width: 2 },
    ],
    min0: true,
  },
  {
    el: 'ch-util', y: 'utilisation (%)',
    series: [{ label: 'mean busy fraction', col: 'utilization', stroke: '#7a3db8', width: 2, k: 100 }],
    range: [0, 105],
  },
  {
    el: 'ch-flight', y: 'requests',
    series: [{ label: 'in flight', col: 'in_flight', stroke: '#0f766e', width: 2, fill: 'rgba(15,118,110,0.10)' }],
    min0: true,
  },
];

export class Charts {
  constructor() {
    this.plots = SPECS.map((spec) => {
      const el = document.getElementById(spec.el);
      const opts = {
        width: this.widthOf(el),
        height: 150,
        cursor: { drag: { x: false, y: false }, points: { size: 6 } },
        legend: { live: true },
        scales: {
          x: { time: false },
          y: spec.range ? { range: spec.range } : { range: (u, lo, hi) => [spec.min0 ? 0 : Math.min(0, lo), hi > 0 ? hi * 1.1 : 1] },
        },
        axes: [
          { ...AXIS, label: 'simulated time (s)', labelSize: 16, size: 30 },
          { ...AXIS, label: spec.y, labelSize: 16, size: 46 },
        ],
        series: [
          { label: 't (s)', value: (u, v) => (v == null ? '—' : `${v} s`) },
          ...spec.series.map((s) => ({
            label: s.label,
            stroke: s.stroke,
            width: s.width ?? 1.5,
            dash: s.dash,
            fill: s.fill,
            points: { show: false },
            value: (u, v) => (v == null ? '—' : fmt(v)),
          })),
        ],
      };
      const empty = [[], ...spec.series.map(() => [])];
      return { spec, el, plot: new uPlot(opts, empty, el) };
    });
    let t = 0;
    window.addEventListener('resize', () => {
      clearTimeout(t);
      t = setTimeout(() => this.resize(), 120);
    });
  }

  widthOf(el) {
    return Math.max(200, Math.floor(el.getBoundingClientRect().width || el.parentElement.clientWidth || 300));
  }

  resize() {
    for (const { el, plot } of this.plots) plot.setSize({ width: this.widthOf(el), height: 150 });
  }

  /** @param {object} tl  sim.timeline() columns */
  update(tl) {
    const x = tl.t_s;
    for (const { spec, plot } of this.plots) {
      const data = [x];
      for (const s of spec.series) {
        const col = tl[s.col] ?? [];
        data.push(s.k ? col.map((v) => (v == null ? null : v * s.k)) : col);
      }
      plot.setData(data);
      // with the pointer elsewhere, the legend shows the latest sample
      if (x.length && !(plot.cursor.left >= 0)) plot.setLegend({ idx: x.length - 1 });
    }
  }

  clear() {
    for (const { spec, plot } of this.plots) plot.setData([[], ...spec.series.map(() => [])]);
  }
}

function fmt(v) {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}
