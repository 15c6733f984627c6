// Fault markers for uPlot charts: a labelled vertical line at the simulated time of every
// crash / slow / partition / recover entry of the event log (the fault log.js's faultOf names),
// added to each chart as a draw hook (uPlot fires the hooks in `u.hooks` on every redraw). The
// rebuilt page's charts.js draws its own marks from faultOf; this stays for any other chart.
// (The failures on the fleet canvas — red pulses, failing-request dots, the "✕ N failed —
// still in view!" badge — are drawn by fleet-view.js from the view's per-instance columns.)

import { faultOf } from './log.js';
const MARK_COLOR = { crash: '#b42318', slow: '#c26a00', partition: '#7c3aed', recover: '#15803d' };
const MAX_MARKS = 400;

/** Kept fault entries ({t_s, instance, kind}) for the chart markers. */
export class FaultMarks {
  constructor() {
    this.marks = [];
    this.plots = [];
  }

  reset() {
    this.marks.length = 0;
    this.redraw();
  }

  /** Takes event-log entries; keeps the fault ones. */
  add(entries) {
    let added = false;
    for (const e of entries ?? []) {
      const kind = faultOf(e);
      if (!kind) continue;
      this.marks.push({ t: e.t_s, kind, id: e.instance });
      added = true;
    }
    if (this.marks.length > MAX_MARKS) this.marks.splice(0, this.marks.length - MAX_MARKS);
    if (added) this.redraw();
  }

  redraw() {
    for (const u of this.plots) if (u.data?.[0]?.length) u.redraw(false, false);
  }

  /** Adds the marker hook to every chart of a Charts instance (charts.plots[].plot). */
  attach(charts) {
    for (const { plot } of charts.plots ?? []) {
      plot.hooks.draw = [...(plot.hooks.draw ?? []), (u) => this.draw(u)];
      this.plots.push(plot);
    }
  }

  draw(u) {
    if (!this.marks.length) return;
    const { ctx, bbox } = u;
    const x0 = u.scales.x.min, x1 = u.scales.x.max;
    if (x0 == null || x1 == null) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.font = `${600} ${10 * dpr}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    let lastX = -1e9, row = 0;
    for (const m of this.marks) {
      if (m.t < x0 || m.t > x1) continue;
      const x = Math.round(u.valToPos(m.t, 'x', true)) + 0.5;
      const color = MARK_COLOR[m.kind] ?? '#444';
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5 * dpr;
      ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
      // labels of close markers stack downwards instead of overlapping
      row = x - lastX < 70 * dpr ? row + 1 : 0;
      lastX = x;
      const label = `${m.id == null ? '' : `#${m.id} `}${m.kind}`;
      const w = ctx.measureText(label).width + 6 * dpr;
      const lx = Math.min(x + 2 * dpr, bbox.left + bbox.width - w);
      const ly = bbox.top + 2 * dpr + (row % 4) * 13 * dpr;
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(lx, ly, w, 12 * dpr);
      ctx.fillStyle = color;
      ctx.fillText(label, lx + 3 * dpr, ly + 1 * dpr);
    }
    ctx.restore();
  }
}
