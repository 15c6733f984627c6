// The fleet canvas for larger fleets, drawn as pixels: each instance's cell is written into an
// ImageData (one row of pixels per grid row, copied down the cell's height) with colours from
// the tables in fleet-style.js, then put on the canvas in one call.
// - grid (up to LARGE_FLEET): the detail view's look at cell size — utilisation colour, queue
//   column, state borders, crash cross, hatch — with the balancer drawn beside it;
// - heat map (beyond): flat cells (ready ones by utilisation; out of the balancer's view purple,
//   ejected or unhealthy orange, others by state) and a panel, refreshed twice a second, with
//   the utilisation histogram of ready instances, the busiest and idlest (ringed and labelled on
//   the map) and the count of instances in each lifecycle state.
// Rings for crashed or failing instances and the selected one are drawn over the pixels.

import {
  C, DASH_IDLE, DASH_NONE, FAIL_PULSE_S, FONT_H, FONT_P, FONT_SMALL, FONT_TAG, HIST_BINS, P, PANEL_EVERY_S, TOP_K,
  UTIL_CSS, UTIL_PX, lutIndex, px,
} from './fleet-style.js';
import { drawBalancer } from './fleet-detail.js';

// ------------------------------------------------ pixel views
/** The colour of row i in the pixel views. */
export function pixelOf(v, i, map) {
  const s = v.snap, o = i * v.nf, F = v.F, L = v.L;
  const life = s[o + F.lifecycle];
  const sl = v.slotBuf[i];
  if (life === L.ready) {
    if (map) {
      // on the heat map the balancer's blind spots take a colour of their own
      if (s[o + F.in_view] === 0) return P.outOfView;
      if (s[o + F.flags] & (v.B.ejected | v.B.unhealthy)) return P.ejected;
    }
    return UTIL_PX[lutIndex(v.util[sl])];
  }
  if (life === L.starting) return map ? P.startingMap : P.starting;
  if (v.leaving[life]) return P.draining;
  if (life === L.crashed) return P.crashed;
  if (life === L.stopped) {
    const a = Math.round(255 * v.alpha[sl]);
    return px(P.stopped[0], P.stopped[1], P.stopped[2], a);
  }
  return 0;
}

/** Fills the image: one block per cell (its first pixel row written, then copied down). */
export function fillCells(v, map) {
  const img = v.img32, W = v.imgW, n = v.n, cols = v.g.cols, gap = v.gap;
  const colX = v.colX, rowY = v.rowY;
  img.fill(0);
  const gridRows = Math.ceil(n / cols);
  for (let gr = 0; gr < gridRows; gr++) {
    const y0 = rowY[gr], y1 = rowY[gr + 1] - gap;
    if (y1 <= y0) continue;
    const base = y0 * W;
    const i0 = gr * cols, i1 = Math.min(n, i0 + cols);
    for (let i = i0; i < i1; i++) {
      const col = i - i0;
      const c = pixelOf(v, i, map);
      const x1 = colX[col + 1] - gap;
      for (let x = colX[col]; x < x1; x++) img[base + x] = c;
    }
    const rowEnd = base + colX[i1 - i0];
    for (let y = y0 + 1; y < y1; y++) img.copyWithin(y * W, base, rowEnd);
  }
}

/** Grid view: hatch, queue columns, state borders and crash crosses, in pixels. */
export function decorateCells(v) {
  const img = v.img32, W = v.imgW, n = v.n, cols = v.g.cols, gap = v.gap;
  const s = v.snap, nf = v.nf, F = v.F, L = v.L, B = v.B;
  const colX = v.colX, rowY = v.rowY;
  for (let i = 0; i < n; i++) {
    const col = i % cols, gr = (i - col) / cols;
    const x0 = colX[col], x1 = colX[col + 1] - gap, y0 = rowY[gr], y1 = rowY[gr + 1] - gap;
    const w = x1 - x0, h = y1 - y0;
    if (w < 4 || h < 4) continue;
    const o = i * nf;
    const life = s[o + F.lifecycle], flags = s[o + F.flags];
    const sl = v.slotBuf[i];
    if (v.leaving[life]) {
      for (let y = y0; y < y1; y++) {
        const row = y * W;
        for (let x = x0; x < x1; x++) img[row + x] = (x + y) & 4 ? P.hatchLine : P.hatchDark;
      }
    }
    if (w >= 6 && v.hasQueue[life]) {
      const frac = v.queueFrac(v.q[sl]);
      if (frac > 0.02) {
        const qx = x0 + Math.round(w * 0.6), qy = y1 - Math.max(1, Math.round(h * frac));
        for (let y = qy; y < y1; y++) img.fill(P.queue, y * W + qx, y * W + x1);
      }
    }
    let border = 0, dashed = false;
    if (life === L.starting) { border = P.startingLine; dashed = true; }
    else if (life === L.crashed) border = P.crashedLine;
    if (flags & B.partitioned || (life === L.ready && s[o + F.in_view] === 0)) { border = P.outOfView; dashed = true; }
    if (flags & (B.ejected | B.unhealthy)) { border = P.ejected; dashed = false; }
    if (border) {
      for (let x = x0; x < x1; x++) {
        if (dashed && (x - x0) & 2) continue;
        img[y0 * W + x] = border; img[(y1 - 1) * W + x] = border;
      }
      for (let y = y0; y < y1; y++) {
        if (dashed && (y - y0) & 2) continue;
        img[y * W + x0] = border; img[y * W + x1 - 1] = border;
      }
    }
    if (life === L.crashed && w >= 8) {
      const m = Math.max(1, Math.round(w * 0.25));
      for (let k = m; k < w - m; k++) {
        const yy = y0 + Math.round(((k - m) * (h - 2 * m)) / Math.max(1, w - 2 * m - 1)) + m;
        if (yy >= y1) continue;
        img[yy * W + x0 + k] = P.crashedLine;
        img[yy * W + x1 - 1 - k] = P.crashedLine;
      }
    }
  }
}

/** Puts the image on the canvas at the grid's corner. */
export function blit(v) {
  const g = v.g;
  if (v.tiny) {
    v.tiny.ctx.putImageData(v.img, 0, 0);
    v.ctx.imageSmoothingEnabled = true;
    v.ctx.drawImage(v.tiny.canvas, g.offX, g.offY, g.gridW, g.gridH);
  } else {
    v.ctx.putImageData(v.img, g.imgX, g.imgY);
  }
}

export function drawGrid(v) {
  const { ctx, W, H } = v;
  ctx.clearRect(0, 0, W, H);
  drawBalancer(v);
  fillCells(v, false);
  decorateCells(v);
  blit(v);
  drawMarks(v, false);
}

/** Rings over the pixel views: failing instances (pulsing) and the selected one. */
export function drawMarks(v, map) {
  const ctx = v.ctx, s = v.snap, nf = v.nf, F = v.F, L = v.L;
  const r = v.rect ?? (v.rect = { x: 0, y: 0, w: 0, h: 0 });
  const pulse = v.reducedMotion ? 1 : 0.5 + 0.5 * Math.sin(v.clock * 12);
  for (let k = 0; k < v.markN; k++) {
    const i = v.marks[k];
    if (i >= v.n) continue;
    const since = v.clock - v.failAt[v.slotBuf[i]];
    const life = s[i * nf + F.lifecycle];
    v.cellRect(i, r);
    const grow = Math.max(2, Math.min(6, 3 / Math.max(0.3, r.w) + 2));
    if (since < FAIL_PULSE_S) {
      ctx.globalAlpha = 0.5 + 0.5 * pulse * (1 - since / FAIL_PULSE_S);
      ctx.strokeStyle = '#ff3b30';
      ctx.lineWidth = 2;
      ctx.strokeRect(r.x - grow, r.y - grow, r.w + 2 * grow, r.h + 2 * grow);
      ctx.globalAlpha = 1;
    } else if (map && life === L.crashed) {
      ctx.strokeStyle = C.crashRing;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(r.x - grow, r.y - grow, r.w + 2 * grow, r.h + 2 * grow);
    }
  }
  const sel = v.selected;
  const selRow = sel != null && sel >= 0 ? v.rowOfId(sel) : -1;
  if (selRow >= 0) {
    v.cellRect(selRow, r);
    const grow = map ? 3 : 1;
    ctx.strokeStyle = '#0b1420';
    ctx.lineWidth = 4;
    ctx.strokeRect(r.x - grow, r.y - grow, r.w + 2 * grow, r.h + 2 * grow);
    ctx.strokeStyle = C.selected;
    ctx.lineWidth = 2;
    ctx.strokeRect(r.x - grow, r.y - grow, r.w + 2 * grow, r.h + 2 * grow);
    if (map) {
      if (v.selFor !== sel || v.selText !== v.idLabel(sel)) {
        v.selFor = sel;
        v.selText = v.idLabel(sel);
        ctx.font = FONT_TAG;
        v.selW = ctx.measureText(v.selText).width;
      }
      callout(v, r, v.selText, v.selW, C.selected, false);
    }
  }
}

// ------------------------------------------------ heat map
export function drawHeatmap(v) {
  const { ctx, g } = v;
  if (v.fullRedraw) ctx.clearRect(0, 0, v.W, v.H);
  if (v.clock - v.panelAt >= PANEL_EVERY_S) {
    v.panelAt = v.clock;
    computeStats(v);
    drawPanel(v);
  }
  // the map area (with a margin for rings and call-outs) is redrawn every frame
  const pad = 4;
  const gx = g.panel.side ? g.panel.x + g.panel.w + 4 : 0, gy = g.panel.side ? 0 : g.panel.y + g.panel.h + 4;
  ctx.clearRect(gx, gy, v.W - gx, v.H - gy);
  fillCells(v, true);
  blit(v);
  drawMarks(v, true);
  // the busiest and idlest: rings, and the first of each labelled with id and utilisation
  const r = v.rect ?? (v.rect = { x: 0, y: 0, w: 0, h: 0 });
  for (let k = TOP_K - 1; k >= 0; k--) {
    for (let list = 0; list < 2; list++) {
      const busiest = list === 0;
      const ids = busiest ? v.busiest : v.idlest;
      const color = busiest ? C.selected : C.idlest, dash = busiest ? DASH_NONE : DASH_IDLE;
      const id = ids[k];
      const row = id < 0 ? -1 : v.rowOfId(id);
      if (row < 0) continue;
      v.cellRect(row, r);
      ctx.strokeStyle = '#0b1420';
      ctx.lineWidth = 3.5;
      ctx.setLineDash(DASH_NONE);
      ctx.strokeRect(r.x - pad, r.y - pad, r.w + 2 * pad, r.h + 2 * pad);
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(dash);
      ctx.strokeRect(r.x - pad, r.y - pad, r.w + 2 * pad, r.h + 2 * pad);
      ctx.setLineDash(DASH_NONE);
      const T = v.panelText;
      if (k === 0 && T) callout(v, r, busiest ? T.busiestTag : T.idlestTag, busiest ? T.busiestTagW : T.idlestTagW, color, !busiest);
    }
  }
}

/** A small label (text measured as textW in FONT_TAG) beside cell rect r, kept inside the map. */
export function callout(v, r, text, textW, color, below) {
  const ctx = v.ctx, g = v.g;
  ctx.font = FONT_TAG;
  const w = textW + 8, h = 15;
  let x = r.x + r.w + 7, y = below ? r.y + r.h + 6 : r.y - h - 6;
  const left = g.offX, right = g.offX + g.gridW, top = g.offY, bottom = g.offY + g.gridH;
  if (x + w > right) x = r.x - w - 7;
  if (x < left) x = left;
  if (y < top) y = r.y + r.h + 6;
  if (y + h > bottom) y = r.y - h - 6;
  ctx.fillStyle = 'rgba(11,20,32,0.88)';
  ctx.fillRect(x, y, w, h);
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
  ctx.fillStyle = '#ffffff';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, x + 4, y + h / 2 + 0.5);
}

/** Histogram, counts by state, busiest and idlest ready instances (ties: lower id first). */
export function computeStats(v) {
  const s = v.snap, nf = v.nf, F = v.F, L = v.L, B = v.B, n = v.n, order = v.orderBuf;
  const hist = v.hist, counts = v.counts;
  hist.fill(0); counts.fill(0);
  const bi = v.busiest, bu = v.busiestU, ii = v.idlest, iu = v.idlestU;
  bi.fill(-1); ii.fill(-1); bu.fill(-1); iu.fill(2);
  let readyN = 0, out = 0, ej = 0;
  for (let i = 0; i < n; i++) {
    const o = i * nf;
    const life = s[o + F.lifecycle];
    if (life >= 0 && life < counts.length) counts[life]++;
    if (life !== L.ready) continue;
    readyN++;
    if (s[o + F.in_view] === 0) out++;
    if (s[o + F.flags] & (B.ejected | B.unhealthy)) ej++;
    const id = order[i];
    const u = v.util[v.slotBuf[i]];
    hist[Math.min(HIST_BINS - 1, Math.max(0, Math.floor(u * HIST_BINS)))]++;
    if (u > bu[TOP_K - 1]) {
      let k = TOP_K - 1;
      while (k > 0 && u > bu[k - 1]) { bu[k] = bu[k - 1]; bi[k] = bi[k - 1]; k--; }
      bu[k] = u; bi[k] = id;
    }
    if (u < iu[TOP_K - 1]) {
      let k = TOP_K - 1;
      while (k > 0 && u < iu[k - 1]) { iu[k] = iu[k - 1]; ii[k] = ii[k - 1]; k--; }
      iu[k] = u; ii[k] = id;
    }
  }
  v.statReady = readyN; v.statOutOfView = out; v.statEjected = ej;
  // the panel's strings, built here (twice a second), not per frame
  const f = v.fmt;
  const entry = (id, u) => `${v.idLabel(id)}  ${f.pct(u)}`;
  const T = v.panelText ?? (v.panelText = { busiest: [], idlest: [] });
  T.busiest.length = 0; T.idlest.length = 0;
  for (let k = 0; k < TOP_K; k++) {
    if (bi[k] >= 0) T.busiest.push(entry(bi[k], bu[k]));
    if (ii[k] >= 0) T.idlest.push(entry(ii[k], iu[k]));
  }
  T.busiestTag = bi[0] >= 0 ? v.tr('fleet.callout', { id: String(bi[0]), util: f.pct(bu[0]) }) : '';
  T.idlestTag = ii[0] >= 0 ? v.tr('fleet.callout', { id: String(ii[0]), util: f.pct(iu[0]) }) : '';
  v.ctx.font = FONT_TAG;
  T.busiestTagW = v.ctx.measureText(T.busiestTag).width;
  T.idlestTagW = v.ctx.measureText(T.idlestTag).width;
  T.count = v.tr('fleet.histogram_count', { n: f.int(readyN) });
  T.instances = v.tr('fleet.instances_count', { n: f.int(n) });
  T.states = [];
  for (let c = 0; c < counts.length; c++) if (counts[c] > 0 || c === L.ready) T.states.push([c, v.labels.state[c], f.int(counts[c])]);
  if (out > 0) T.states.push(['out', v.tr('fleet.out_of_view_count'), f.int(out)]);
  if (ej > 0) T.states.push(['ej', v.tr('fleet.ejected_count'), f.int(ej)]);
  T.title = v.tr('fleet.histogram_title');
  T.busiestH = v.tr('fleet.busiest');
  T.idlestH = v.tr('fleet.idlest');
  T.statesH = v.tr('fleet.states_title');
  T.axis = [f.pct(0), f.pct(0.5), f.pct(1)];
}

/** The heat map's panel: balancer, histogram, busiest and idlest, counts by state. */
export function drawPanel(v) {
  const ctx = v.ctx, p = v.g.panel, T = v.panelText, L = v.L;
  ctx.clearRect(p.x - 4, p.y - 4, p.w + 8, p.h + 8);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  const col2 = p.side ? null : { x: p.x + Math.round(p.w * 0.55), w: Math.round(p.w * 0.45) };
  const w1 = col2 ? Math.round(p.w * 0.52) : p.w;
  let y = p.y;
  // balancer and load
  ctx.fillStyle = '#e8f3ff';
  ctx.font = FONT_H;
  ctx.fillText(`${v.labels.balancer} · ${v.algorithm ?? ''}`, p.x, y, w1);
  y += 16;
  ctx.fillStyle = '#cfe3f7';
  ctx.font = FONT_P;
  ctx.fillText(`${v.loadString} · ${T.instances}`, p.x, y, w1);
  y += 16;
  if (v.n > 0 && v.inViewCount === 0) {
    ctx.fillStyle = '#ff6b61';
    ctx.font = FONT_TAG;
    ctx.fillText(v.labels.noneInView, p.x, y, w1);
    y += 15;
  }
  y += 6;
  // histogram of utilisation (ready instances), bars coloured by their bin
  ctx.fillStyle = C.text;
  ctx.font = FONT_H;
  ctx.fillText(T.title, p.x, y, w1);
  y += 17;
  const hh = Math.max(36, Math.min(90, (p.side ? p.h : p.h - 40) * 0.22));
  let max = 1;
  for (let b = 0; b < HIST_BINS; b++) if (v.hist[b] > max) max = v.hist[b];
  const bw = w1 / HIST_BINS;
  ctx.fillStyle = 'rgba(159,179,200,0.08)';
  ctx.fillRect(p.x, y, w1, hh);
  for (let b = 0; b < HIST_BINS; b++) {
    const c = v.hist[b];
    if (c === 0) continue;
    const h = Math.max(1, (hh * c) / max);
    ctx.fillStyle = UTIL_CSS[lutIndex((b + 0.5) / HIST_BINS)];
    ctx.fillRect(p.x + b * bw + 0.5, y + hh - h, Math.max(1, bw - 1), h);
  }
  ctx.strokeStyle = C.panelLine;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(p.x, y + hh + 0.5); ctx.lineTo(p.x + w1, y + hh + 0.5);
  ctx.stroke();
  y += hh + 3;
  ctx.font = FONT_SMALL;
  ctx.fillStyle = C.muted;
  ctx.fillText(T.axis[0], p.x, y);
  ctx.textAlign = 'center';
  ctx.fillText(T.axis[1], p.x + w1 / 2, y);
  ctx.textAlign = 'right';
  ctx.fillText(T.axis[2], p.x + w1, y);
  ctx.textAlign = 'left';
  y += 14;
  ctx.fillText(T.count, p.x, y, w1);
  y += 20;
  // busiest and idlest, side by side
  let x2 = p.x, yl = y, wl = w1;
  if (col2) { x2 = col2.x; yl = p.y; wl = col2.w; }
  const half = wl / 2;
  ctx.font = FONT_H;
  ctx.fillStyle = C.selected;
  ctx.fillText(T.busiestH, x2, yl, half - 6);
  ctx.fillStyle = C.idlest;
  ctx.fillText(T.idlestH, x2 + half, yl, half - 6);
  ctx.font = FONT_P;
  for (let k = 0; k < TOP_K; k++) {
    ctx.fillStyle = C.text;
    if (T.busiest[k]) ctx.fillText(T.busiest[k], x2, yl + 17 + 15 * k, half - 6);
    if (T.idlest[k]) ctx.fillText(T.idlest[k], x2 + half, yl + 17 + 15 * k, half - 6);
  }
  yl += 17 + 15 * TOP_K + 12;
  // counts by lifecycle state, with the colour each has on the map
  ctx.font = FONT_H;
  ctx.fillStyle = C.text;
  ctx.fillText(T.statesH, x2, yl, wl);
  yl += 17;
  ctx.font = FONT_P;
  for (const [c, name, count] of T.states) {
    if (yl + 14 > p.y + p.h) break;
    ctx.fillStyle = c === L.ready ? UTIL_CSS[lutIndex(0.5)] : c === 'out' ? C.outOfView : c === 'ej' ? C.ejected
      : c === L.starting ? 'rgba(124,196,255,0.6)' : v.leaving[c] ? C.hatchLine : c === L.crashed ? C.crashed : C.stopped;
    ctx.fillRect(x2, yl + 2, 10, 10);
    if (c === L.crashed) { ctx.strokeStyle = C.crashRing; ctx.lineWidth = 1.5; ctx.strokeRect(x2 - 0.5, yl + 1.5, 11, 11); }
    ctx.fillStyle = C.text;
    ctx.textAlign = 'left';
    ctx.fillText(name, x2 + 16, yl, wl - 70);
    ctx.textAlign = 'right';
    ctx.fillText(count, x2 + wl, yl);
    ctx.textAlign = 'left';
    yl += 15;
  }
}
