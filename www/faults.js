// Failures made visible: (1) an overlay drawn over the fleet canvas after FleetView's own
// drawing — a red pulse on instances whose requests are failing, with the running count, and
// a "stale" tag where the balancer's view disagrees with reality; (2) fault markers on the
// time charts: a labelled vertical line at the simulated time of every crash / slow /
// partition / recover entry of the event log, added to each uPlot chart as a draw hook
// (charts.js needs no change: uPlot fires the hooks in `u.hooks` on every redraw).

import { FAULT_OF } from './log-text.js';
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
      const kind = FAULT_OF[e.kind];
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

/**
 * Draws over the fleet canvas, after FleetView.draw() (FleetView calls `overlay(ctx, view)`).
 *
 * The per-instance `failed` column counts every attempt that failed at that instance: lost in
 * its queue when it crashed, or refused because the balancer's (stale) view still listed it.
 * `observe()` (4×/s) turns the rises of refused attempts at dead instances into red dots that
 * burst on the cell; a rise of the fleet total beyond the per-instance rises is requests that
 * found no instance at all (an empty view), shown as a flash of the balancer.
 */
export class FailureOverlay {
  constructor() {
    this.reset();
  }

  reset() {
    this.prev = new Map(); // id -> { failed, at }: per-instance rises (drawing)
    this.seen = new Map(); // id -> failed at the last observe()
    this.lastTotal = null;
    this.dots = [];
    this.pending = new Map(); // id -> dots still to launch
    this.lbFlash = -1e9;
    this.lbFailed = 0;
  }

  /** Attempts that failed at this instance: lost in its queue plus refused connections. */
  failedOf(it) {
    return it.failed;
  }

  /** @param {number} total  sim.details().requests.failed  @param {object} v  the FleetView */
  observe(total, v) {
    let atInstances = 0;
    for (const it of v.items.values()) {
      const before = this.seen.get(it.id) ?? it.failed;
      const rise = Math.max(0, it.failed - before);
      this.seen.set(it.id, it.failed);
      atInstances += rise;
      // refused at a dead instance still in view: about one dot per 8, at most 6 a quarter second
      if (rise > 0 && it.inView && (it.life === 4 || it.life === 3)) {
        this.pending.set(it.id, Math.min(6, (this.pending.get(it.id) ?? 0) + Math.ceil(rise / 8)));
      }
    }
    if (this.lastTotal == null || total < this.lastTotal) { this.lastTotal = total; return; }
    const nowhere = total - this.lastTotal - atInstances;
    this.lastTotal = total;
    if (nowhere > 0) {
      this.lbFailed += nowhere;
      this.lbFlash = v.clock;
    }
  }

  draw(ctx, v) {
    const g = v.g;
    if (!g) return;
    const detail = v.order.length <= 200;
    const lb = g.lb;
    const ox = lb.x + lb.w, oy = lb.y + lb.h / 2;
    const dt = Math.max(0, v.clock - (this.clock ?? v.clock));
    this.clock = v.clock;
    const seen = new Set();

    // failing requests: red dots from the balancer that burst at the cell's edge
    if (detail && !v.reducedMotion) {
      for (const [id, n] of this.pending) {
        if (!v.items.has(id)) { this.pending.delete(id); continue; }
        // launch the pending dots over ~a quarter second
        let k = Math.min(n, Math.max(1, Math.round(n * dt * 4)));
        for (; k > 0; k--) this.dots.push({ id, t: -Math.random() * 0.05, jitter: (Math.random() - 0.5) * 0.6 });
        const left = n - Math.min(n, Math.max(1, Math.round(n * dt * 4)));
        if (left > 0) this.pending.set(id, left); else this.pending.delete(id);
      }
    } else {
      this.pending.clear();
      this.dots.length = 0;
    }
    const TRAVEL = 0.4, BURST = 0.25;
    ctx.save();
    for (const d of this.dots) {
      d.t += dt;
      const it = v.items.get(d.id);
      if (!it || d.t < 0) continue;
      const tx = it.x + Math.max(1, it.s * 0.08), ty = it.y + it.s * (0.5 + d.jitter * 0.5);
      if (d.t < TRAVEL) {
        const p = d.t / TRAVEL;
        const e = 1 - (1 - p) * (1 - p);
        const x = ox + (tx - ox) * e;
        const y = oy + (ty - oy) * e + Math.sin(p * Math.PI) * d.jitter * 30;
        ctx.fillStyle = '#ff4d4d';
        ctx.strokeStyle = '#3a0d0d';
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.arc(x, y, 3.6, 0, Math.PI * 2);
        ctx.fill();
        ctx.stroke();
      } else {
        // refused: a small red burst where it hit
        const q = (d.t - TRAVEL) / BURST;
        ctx.strokeStyle = `rgba(255,77,77,${1 - q})`;
        ctx.lineWidth = 2;
        const r = 3 + 7 * q;
        ctx.beginPath();
        ctx.moveTo(tx - r, ty - r); ctx.lineTo(tx + r, ty + r);
        ctx.moveTo(tx + r, ty - r); ctx.lineTo(tx - r, ty + r);
        ctx.stroke();
      }
    }
    ctx.restore();
    this.dots = this.dots.filter((d) => d.t < TRAVEL + BURST && v.items.has(d.id));

    // the balancer itself failing requests (nothing to pick)
    const lbSince = v.clock - this.lbFlash;
    if (lbSince < 0.6) {
      ctx.save();
      ctx.strokeStyle = `rgba(255,59,48,${1 - lbSince / 0.6})`;
      ctx.lineWidth = 4;
      ctx.strokeRect(lb.x - 3, lb.y - 3, lb.w + 6, lb.h + 6);
      ctx.fillStyle = '#ff6b61';
      ctx.font = '600 11px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText('no instance in view: failing', lb.x + lb.w / 2, lb.y + lb.h + 8);
      ctx.restore();
    }

    for (const id of v.order) {
      const it = v.items.get(id);
      seen.add(id);
      let p = this.prev.get(id);
      if (!p) { p = { failed: this.failedOf(it), at: -1e9 }; this.prev.set(id, p); }
      const f = this.failedOf(it);
      if (f > p.failed) p.at = v.clock;
      p.failed = f;
      const since = v.clock - p.at;
      const failing = since < 0.6;
      const pad = Math.max(0.5, Math.min(6, it.s * 0.08));
      const w = it.s - 2 * pad;
      if (w <= 1 || it.alpha <= 0.01) continue;
      const x = it.x + pad, y = it.y + pad;
      ctx.save();
      ctx.globalAlpha = it.alpha;
      if (failing) {
        // a pulsing red ring: requests are failing here
        const k = 1 - since / 0.6;
        const pulse = 0.5 + 0.5 * Math.sin(v.clock * 12);
        ctx.strokeStyle = `rgba(255,59,48,${0.5 + 0.5 * pulse * k})`;
        ctx.lineWidth = detail ? 3 + 3 * pulse : 2;
        ctx.strokeRect(x - 2, y - 2, w + 4, w + 4);
      }
      if (detail && w >= 60 && it.life === 4) {
        const lines = [`✕ ${Math.round(f).toLocaleString('en-US')} failed`, it.inView ? 'still in view!' : 'out of view'];
        drawTag(ctx, x, y + w, w, lines, it.inView ? '#d92d20' : '#5b6775');
      } else if (detail && w >= 60 && it.life === 1 && !it.inView && !(it.flags & 12)) {
        drawTag(ctx, x, y + w, w, [it.reg === 3 ? 'evicted: out of view' : 'not in view (yet)'], '#6d28d9');
      }
      ctx.restore();
    }
    for (const id of this.prev.keys()) if (!seen.has(id)) this.prev.delete(id);
  }
}

function drawTag(ctx, x, bottom, w, lines, color) {
  const lh = 13;
  const h = lines.length * lh + 4;
  ctx.fillStyle = color;
  ctx.globalAlpha = Math.min(ctx.globalAlpha, 0.92);
  ctx.fillRect(x + 3, bottom - h - 3, w - 6, h);
  ctx.globalAlpha = 1;
  ctx.fillStyle = '#ffffff';
  ctx.font = '600 11px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  lines.forEach((t, i) => ctx.fillText(t, x + 6, bottom - h - 1 + i * lh, w - 12));
}
