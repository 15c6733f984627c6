// The autoscaler's chart: desired vs ready instances (left axis) and fleet utilisation against
// the autoscaler's target (right axis), with the band inside which the HPA keeps its replica
// count (target × [1 − tolerance.scale_down, 1 + tolerance.scale_up]) shaded, and a marker at
// every scale event; a dotted line shows L / (C × target), the fleet the target asks for.
// x = simulated seconds, one sample per second (sim.timeline()).
import uPlot from './vendor/uPlot.esm.js';

const AXIS = { stroke: '#4a5562', grid: { stroke: '#e9edf2', width: 1 }, ticks: { stroke: '#d6dce4', width: 1 }, font: '11px system-ui, sans-serif', labelFont: '600 11px system-ui, sans-serif' };
const HEIGHT = 220;
const UTIL = '#7a3db8';

function fmt(v) {
  if (v == null) return '—';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1);
}

export class AutoscalerChart {
  /** @param {HTMLElement} el */
  constructor(el) {
    this.el = el;
    /** {target_pct, lo_pct, hi_pct} or null (no autoscaler) */
    this.band = null;
    /** C, req/s per instance (for the L / (C × target) line) */
    this.capacity = 0;
    /** [{t_s, from, to}] */
    this.events = [];
    const band = () => this.band;
    const events = () => this.events;
    const opts = {
      width: this.width(),
      height: HEIGHT,
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: {
        x: { time: false },
        n: { range: (u, lo, hi) => [0, Math.max(4, Math.ceil((hi || 1) * 1.15))] },
        pct: { range: (u, lo, hi) => [0, Math.max(105, Math.ceil(((band()?.hi_pct ?? 0) + 5) / 10) * 10)] },
      },
      axes: [
        { ...AXIS, label: 'simulated time (s)', labelSize: 16, size: 30 },
        { ...AXIS, scale: 'n', label: 'instances', labelSize: 16, size: 46 },
        { ...AXIS, scale: 'pct', side: 1, label: 'utilisation (%)', labelSize: 16, size: 46, grid: { show: false }, stroke: UTIL },
      ],
      series: [
        { label: 't (s)', value: (u, v) => (v == null ? '—' : `${v} s`) },
        { label: 'ready', scale: 'n', stroke: '#2fa36b', width: 2.5, points: { show: false }, value: (u, v) => fmt(v) },
        { label: 'desired', scale: 'n', stroke: '#1d2733', width: 1.5, dash: [6, 4], paths: uPlot.paths.stepped({ align: 1 }), points: { show: false }, value: (u, v) => fmt(v) },
        { label: 'L / (C × target)', scale: 'n', stroke: '#7d8996', width: 1.5, dash: [3, 3], points: { show: false }, value: (u, v) => fmt(v) },
        { label: 'utilisation %', scale: 'pct', stroke: UTIL, width: 1.25, points: { show: false }, value: (u, v) => (v == null ? '—' : `${fmt(v)} %`) },
      ],
      hooks: {
        drawClear: [(u) => drawBand(u, band())],
        draw: [(u) => { drawEvents(u, events()); drawBandLabel(u, band()); }],
      },
    };
    this.plot = new uPlot(opts, [[], [], [], [], []], el);
    let t = 0;
    window.addEventListener('resize', () => {
      clearTimeout(t);
      t = setTimeout(() => this.plot.setSize({ width: this.width(), height: HEIGHT }), 120);
    });
  }

  width() {
    return Math.max(240, Math.floor(this.el.getBoundingClientRect().width || this.el.parentElement?.clientWidth || 600));
  }

  /** Re-measures after the container was shown. */
  resize() {
    this.plot.setSize({ width: this.width(), height: HEIGHT });
  }

  update(tl) {
    const x = tl.t_s;
    // the fleet the target asks for at the offered load (the seed's rule is its ceiling)
    const per = this.band && this.capacity ? this.capacity * this.band.target_pct / 100 : 0;
    const ideal = per > 0 ? tl.offered_rps.map((l) => (l == null ? null : l / per)) : tl.offered_rps.map(() => null);
    this.plot.setData([x, tl.ready, tl.desired, ideal, tl.utilization.map((v) => (v == null ? null : v * 100))]);
    if (x.length && !(this.plot.cursor.left >= 0)) this.plot.setLegend({ idx: x.length - 1 });
  }

  clear() {
    this.events = [];
    this.plot.setData([[], [], [], [], []]);
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
  if (band.hi_pct > band.lo_pct) {
    const y1 = y(band.hi_pct), y0 = y(band.lo_pct);
    ctx.fillStyle = 'rgba(122, 61, 184, 0.12)';
    ctx.fillRect(left, y1, width, y0 - y1);
  }
  ctx.strokeStyle = 'rgba(122, 61, 184, 0.75)';
  ctx.lineWidth = 1;
  ctx.setLineDash([2, 3]);
  ctx.beginPath();
  const yt = Math.round(y(band.target_pct)) + 0.5;
  ctx.moveTo(left, yt);
  ctx.lineTo(left + width, yt);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.restore();
}

/** After the series: the band's label, just above it at the left (away from the newest samples), on a light plate. */
function drawBandLabel(u, band) {
  if (!band) return;
  const { ctx } = u;
  const { left } = u.bbox;
  const y = (v) => u.valToPos(v, 'pct', true);
  const yt = Math.round(y(band.target_pct)) + 0.5;
  ctx.save();
  const px = devicePixelRatio;
  ctx.font = `${Math.round(10.5 * px)}px system-ui, sans-serif`;
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'left';
  const yl = Math.min(y(band.hi_pct), yt) - 3 * px;
  const w = ctx.measureText(band.label).width;
  ctx.fillStyle = 'rgba(255, 255, 255, 0.94)';
  ctx.fillRect(left + 3 * px, yl - 13 * px, w + 6 * px, 14 * px);
  ctx.fillStyle = 'rgba(90, 40, 140, 0.95)';
  ctx.fillText(band.label, left + 6 * px, yl);
  ctx.restore();
}

function drawEvents(u, events) {
  if (!events.length || !u.data[0].length) return;
  const { ctx } = u;
  const { left, width, top, height } = u.bbox;
  const x0 = u.data[0][0], x1 = u.data[0][u.data[0].length - 1];
  const r = 4 * devicePixelRatio;
  ctx.save();
  for (const e of events) {
    if (e.t_s < x0 || e.t_s > x1) continue;
    const x = Math.round(u.valToPos(e.t_s, 'x', true)) + 0.5;
    if (x < left || x > left + width) continue;
    const up = e.to > e.from;
    ctx.strokeStyle = up ? 'rgba(31, 111, 235, 0.35)' : 'rgba(224, 138, 0, 0.45)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.fillStyle = up ? '#1f6feb' : '#e08a00';
    ctx.beginPath();
    if (up) { ctx.moveTo(x - r, top + 2 * r); ctx.lineTo(x + r, top + 2 * r); ctx.lineTo(x, top + r * 0.5); }
    else { ctx.moveTo(x - r, top + r * 0.5); ctx.lineTo(x + r, top + r * 0.5); ctx.lineTo(x, top + 2 * r); }
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}
