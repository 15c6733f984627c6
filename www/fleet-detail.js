// The fleet canvas for small fleets (up to DETAIL_LIMIT instances), drawn with vector calls:
// the balancer with its incoming load, a faint fan of links to the ready instances, requests in
// flight as dots, each instance a rounded cell — utilisation colour, queue bar on its right,
// id, utilisation, queue, speed/weight and state as text; starting dashed, draining hatched,
// stopped fading, crashed crossed, partitioned or out of the balancer's view dashed purple,
// ejected or unhealthy orange — and the failures: red dots that fly to a dead instance still in
// view and burst, a pulsing ring where requests fail, and the "✕ N failed — still in view!" badge.
// Every function takes the FleetView (v) and reads its typed arrays; strings come cached from it.

import {
  C, DASH_NONE, DASH_START, DASH_VIEW, DOT_S, FAIL_BURST, FAIL_PULSE_S, FAIL_TRAVEL, FONT_ID, FONT_ID_BIG, FONT_L,
  FONT_LB, FONT_LINE, FONT_LINE_BIG, FONT_SMALL, FONT_TAG, UTIL_CSS, lutIndex,
} from './fleet-style.js';

export function drawBalancer(v) {
  const { ctx } = v;
  const lb = v.g.lb;
  ctx.fillStyle = '#1d3b5c';
  ctx.strokeStyle = '#7cc4ff';
  ctx.lineWidth = 2;
  roundRect(ctx, lb.x, lb.y, lb.w, lb.h, 10);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = '#e8f3ff';
  ctx.font = FONT_LB;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(v.labels.balancer, lb.x + lb.w / 2, lb.y + lb.h / 2 - 9, lb.w - 6);
  ctx.font = FONT_SMALL;
  ctx.fillStyle = '#9fc3e6';
  ctx.fillText(v.algorithm ?? '', lb.x + lb.w / 2, lb.y + lb.h / 2 + 9, lb.w - 6);
  // incoming traffic: a short arrow into the balancer, labelled with L
  const ax = lb.x + lb.w / 2;
  ctx.strokeStyle = '#7cc4ff';
  ctx.fillStyle = '#7cc4ff';
  ctx.beginPath();
  ctx.moveTo(ax, lb.y - 30);
  ctx.lineTo(ax, lb.y - 8);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(ax - 5, lb.y - 10); ctx.lineTo(ax + 5, lb.y - 10); ctx.lineTo(ax, lb.y - 3);
  ctx.fill();
  ctx.fillStyle = '#cfe3f7';
  ctx.font = FONT_L;
  ctx.textAlign = 'left';
  ctx.fillText(v.loadString, 8, lb.y - 40, Math.max(40, v.g.offX - 16)); // never into the grid
  if (v.n > 0 && v.inViewCount === 0) {
    // nothing for the balancer to pick: every request fails at the balancer
    const k = v.reducedMotion ? 1 : 0.6 + 0.4 * Math.sin(v.clock * 8);
    ctx.globalAlpha = k;
    ctx.strokeStyle = '#ff3b30';
    ctx.lineWidth = 4;
    ctx.strokeRect(lb.x - 3, lb.y - 3, lb.w + 6, lb.h + 6);
    ctx.globalAlpha = 1;
    ctx.fillStyle = '#ff6b61';
    ctx.font = FONT_TAG;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    if (!v.labels.noneInViewLines) v.labels.noneInViewLines = wrapLines(ctx, v.labels.noneInView, lb.w + 30);
    const lines = v.labels.noneInViewLines;
    for (let k = 0; k < lines.length; k++) ctx.fillText(lines[k], 8, lb.y + lb.h + 8 + 13 * k);
  }
}

// ------------------------------------------------ detail view (vector)
export function drawDetail(v) {
  const { ctx, W, H, g } = v;
  ctx.clearRect(0, 0, W, H);
  const n = v.n, slots = v.slotBuf, s = v.snap, nf = v.nf, F = v.F, L = v.L;
  drawBalancer(v);
  const lb = g.lb;
  const ox = lb.x + lb.w, oy = lb.y + lb.h / 2;
  // faint fan of links to the ready instances when there are few
  if (n <= 60) {
    ctx.strokeStyle = 'rgba(124,196,255,0.10)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      if (s[i * nf + F.lifecycle] !== L.ready) continue;
      const sl = slots[i];
      ctx.moveTo(ox, oy);
      ctx.lineTo(v.tx[sl] + v.ts[sl] * 0.06, v.ty[sl] + v.ts[sl] / 2);
    }
    ctx.stroke();
  }
  // request dots; one sent to a crashed or stopped instance fails: red
  for (let k = 0; k < v.dotN; k++) {
    const sl = v.dotSlot[k];
    const r = v.rowOf[sl];
    if (r < 0) continue;
    const life = s[r * nf + F.lifecycle];
    ctx.fillStyle = life === L.crashed || life === L.stopped ? '#ff4d4d' : '#e3f1ff';
    const p = Math.max(0, v.dotT[k] / DOT_S);
    const e = 1 - (1 - p) * (1 - p);
    const j = v.dotJ[k];
    const tx = v.tx[sl] + v.ts[sl] * 0.3, ty = v.ty[sl] + v.ts[sl] * (0.5 + j * 0.5);
    const x = ox + (tx - ox) * e;
    const y = oy + (ty - oy) * e + Math.sin(p * Math.PI) * j * 30;
    ctx.globalAlpha = p < 0.85 ? 1 : (1 - p) / 0.15;
    ctx.beginPath();
    ctx.arc(x, y, 2.6, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  for (let i = 0; i < n; i++) drawCell(v, i);
  drawFailures(v, ox, oy);
}

/**
 * Batch slots and KV fill of one model-server replica: up to 16 slot marks (each standing for
 * max_batch / marks sequences, filled as the batch is), and a bar as full as its KV cache (red
 * when full, amber from 80 %, where the endpoint picker's saturation detector counts it).
 */
function drawReplica(v, s, o, x, y, w) {
  const ctx = v.ctx, F = v.F;
  const inset = 3, bh = Math.max(3, Math.min(8, w * 0.07));
  const kv = Math.max(0, Math.min(1, s[o + F.kv_use]));
  const full = s[o + F.flags] & v.B.kv_full;
  const kx = x + inset, ky = y + w - bh - inset, kw = w * 0.84 - 2 * inset;
  ctx.fillStyle = 'rgba(10,16,24,0.55)';
  ctx.fillRect(kx, ky, kw, bh);
  ctx.fillStyle = full ? '#ff4d4d' : kv >= 0.8 ? '#ffb020' : '#c9f2ff';
  ctx.fillRect(kx, ky, kw * kv, bh);
  const conc = s[o + F.concurrency], busy = s[o + F.in_service];
  const marks = Math.max(1, Math.min(16, conc));
  const filled = conc > 0 ? Math.round((busy / conc) * marks) : 0;
  const sy = ky - bh - 2, gap = 1, sw = (kw - gap * (marks - 1)) / marks;
  if (sw < 1) return;
  for (let m = 0; m < marks; m++) {
    ctx.fillStyle = m < filled ? '#ffffff' : 'rgba(10,16,24,0.45)';
    ctx.fillRect(kx + m * (sw + gap), sy, sw, bh);
  }
}

export function drawCell(v, i) {
  const ctx = v.ctx, s = v.snap, o = i * v.nf, F = v.F, L = v.L, B = v.B, labels = v.labels;
  const id = v.orderBuf[i], sl = v.slotBuf[i]; // per-instance state is kept by slot
  const life = s[o + F.lifecycle];
  const size = v.ts[sl];
  const pad = Math.max(0.5, Math.min(6, size * 0.08));
  const scale = life === L.starting ? 0.85 + 0.15 * Math.min(1, size / (v.g.cell || 1)) : 1;
  const w = (size - 2 * pad) * scale;
  const alpha = v.alpha[sl];
  if (w <= 0.5 || alpha <= 0.01) return;
  const x = v.tx[sl] + (size - w) / 2, y = v.ty[sl] + (size - w) / 2;
  const r = Math.min(6, w * 0.15);
  const util = v.util[sl];
  const flags = s[o + F.flags], inView = s[o + F.in_view] !== 0;
  ctx.globalAlpha = alpha;

  // body
  if (life === L.crashed) ctx.fillStyle = C.crashed;
  else if (v.leaving[life]) ctx.fillStyle = hatchPattern(v);
  else if (life === L.stopped) ctx.fillStyle = C.stopped;
  else if (life === L.starting) ctx.fillStyle = C.starting;
  else ctx.fillStyle = UTIL_CSS[lutIndex(util)];
  if (w < 4) ctx.fillRect(x, y, w, w);
  else { roundRect(ctx, x, y, w, w, r); ctx.fill(); }

  // queue: a bar along the right edge, log scale, full = queue limit
  if (w >= 6 && v.hasQueue[life]) {
    const frac = v.queueFrac(v.q[sl]);
    const bw = Math.max(4, w * 0.12);
    const bx = x + w - bw - 3, by = y + 3, bh = w - 6;
    ctx.fillStyle = 'rgba(10,16,24,0.55)';
    ctx.fillRect(bx, by, bw, bh);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(bx, by + bh * (1 - frac), bw, bh * frac);
  }

  // a model server: its batch slots and its KV-cache fill along the bottom
  if (w >= 10 && v.hasQueue[life] && s[o + F.kv_blocks] > 0) drawReplica(v, s, o, x, y, w);

  // borders for states
  if (w >= 4) {
    let stroke = null, dash = DASH_NONE;
    ctx.lineWidth = 2;
    if (life === L.starting) { stroke = C.startingLine; dash = DASH_START; }
    else if (life === L.crashed) stroke = C.crashedLine;
    if (flags & B.partitioned || (life === L.ready && !inView)) { stroke = C.outOfView; dash = DASH_VIEW; }
    if (flags & (B.ejected | B.unhealthy)) stroke = C.ejected;
    if (v.selected === id) { stroke = C.selected; dash = DASH_NONE; ctx.lineWidth = 3; }
    if (stroke) {
      ctx.strokeStyle = stroke;
      ctx.setLineDash(dash);
      roundRect(ctx, x, y, w, w, r);
      ctx.stroke();
      ctx.setLineDash(DASH_NONE);
    }
  }

  if (w >= 34) {
    const big = w >= 70;
    ctx.fillStyle = life === L.ready ? (util < 0.3 ? '#ffffff' : '#0b1420') : C.text;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.font = big ? FONT_ID_BIG : FONT_ID;
    const idText = v.slotLabel(sl, id);
    ctx.fillText(idText, x + 4, y + 3);
    // balancer weight and speed (capacity multiplier), shown only when not 1
    const weight = s[o + F.weight], speed = s[o + F.speed];
    if (weight !== 1 || speed !== 1) {
      const key = (weight * 1e6 + speed) * 2 + (big ? 1 : 0);
      if (v.tagKey[sl] !== key || v.tagStr[sl] === undefined) {
        v.tagKey[sl] = key;
        const parts = [];
        if (weight !== 1) parts.push(v.tr('fleet.weight', { w: v.fmt.num(weight) }));
        if (speed !== 1) parts.push(v.tr('fleet.speed', { s: v.fmt.num(Number(speed.toPrecision(3))) }));
        v.tagStr[sl] = parts.join(' ');
        v.tagOff[sl] = ctx.measureText(idText).width + 4; // in the id's font, set above
      }
      ctx.fillText(v.tagStr[sl], x + 4 + v.tagOff[sl], y + 3, Math.max(1, w - 8 - v.tagOff[sl]));
    }
    ctx.font = big ? FONT_LINE_BIG : FONT_LINE;
    const lh = big ? 15 : 11;
    const maxLines = Math.max(1, Math.floor((w - (big ? 22 : 16)) / lh));
    const y0 = y + (big ? 20 : 15), tw = w - 8;
    let line = 0;
    ctx.fillText(life === L.ready ? labels.pct[Math.round(util * 100)] ?? '' : labels.state[life] ?? '', x + 4, y0, tw);
    line++;
    if (v.hasQueue[life] && line < maxLines) {
      const qv = Math.round(s[o + F.queue]);
      if (v.qVal[sl] !== qv || v.qStr[sl] === undefined) { v.qVal[sl] = qv; v.qStr[sl] = v.tr('fleet.queue', { n: v.fmt.int(qv) }); }
      ctx.fillText(v.qStr[sl], x + 4, y0 + lh * line++, tw);
    }
    if (v.hasQueue[life] && s[o + F.kv_blocks] > 0 && line < maxLines) {
      ctx.fillText(v.tr('fleet.kv', { pct: v.fmt.pct(s[o + F.kv_use]) }), x + 4, y0 + lh * line++, tw);
    }
    if (flags & B.slow && line < maxLines) ctx.fillText(labels.slow, x + 4, y0 + lh * line++, tw);
    if (flags & B.partitioned && line < maxLines) ctx.fillText(labels.partitioned, x + 4, y0 + lh * line++, tw);
    if (life === L.ready && line < maxLines) {
      const reg = s[o + F.registry];
      if (reg === v.R.suspect) ctx.fillText(labels.suspect, x + 4, y0 + lh * line++, tw);
      else if (reg === v.R.evicted) ctx.fillText(labels.evicted, x + 4, y0 + lh * line++, tw);
    }
    if (life === L.crashed) {
      ctx.strokeStyle = C.crashedLine;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x + w * 0.3, y + w * 0.45); ctx.lineTo(x + w * 0.7, y + w * 0.85);
      ctx.moveTo(x + w * 0.7, y + w * 0.45); ctx.lineTo(x + w * 0.3, y + w * 0.85);
      ctx.stroke();
    }
  }
  ctx.globalAlpha = 1;
}

/** Detail view: failing requests fly in red and burst; failing cells pulse; badges. */
export function drawFailures(v, ox, oy) {
  const ctx = v.ctx, s = v.snap, nf = v.nf, F = v.F, L = v.L, B = v.B, labels = v.labels;
  for (let k = 0; k < v.fdN; k++) {
    const t = v.fdT[k];
    const sl = v.fdSlot[k];
    if (t < 0 || v.rowOf[sl] < 0) continue;
    const size = v.ts[sl], j = v.fdJ[k];
    const tx = v.tx[sl] + Math.max(1, size * 0.08), ty = v.ty[sl] + size * (0.5 + j * 0.5);
    if (t < FAIL_TRAVEL) {
      const p = t / FAIL_TRAVEL;
      const e = 1 - (1 - p) * (1 - p);
      ctx.fillStyle = C.fail;
      ctx.strokeStyle = C.failDark;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(ox + (tx - ox) * e, oy + (ty - oy) * e + Math.sin(p * Math.PI) * j * 30, 3.6, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
    } else {
      // refused: a small red burst where it hit
      const q = (t - FAIL_TRAVEL) / FAIL_BURST;
      ctx.globalAlpha = Math.max(0, 1 - q);
      ctx.strokeStyle = C.fail;
      ctx.lineWidth = 2;
      const r = 3 + 7 * q;
      ctx.beginPath();
      ctx.moveTo(tx - r, ty - r); ctx.lineTo(tx + r, ty + r);
      ctx.moveTo(tx + r, ty - r); ctx.lineTo(tx - r, ty + r);
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
  }
  const pulse = v.reducedMotion ? 1 : 0.5 + 0.5 * Math.sin(v.clock * 12);
  for (let i = 0; i < v.n; i++) {
    const sl = v.slotBuf[i], o = i * nf;
    const size = v.ts[sl];
    const pad = Math.max(0.5, Math.min(6, size * 0.08));
    const w = size - 2 * pad;
    const alpha = v.alpha[sl];
    if (w <= 1 || alpha <= 0.01) continue;
    const x = v.tx[sl] + pad, y = v.ty[sl] + pad;
    const since = v.clock - v.failAt[sl];
    const life = s[o + F.lifecycle], inView = s[o + F.in_view] !== 0;
    ctx.globalAlpha = alpha;
    if (since < FAIL_PULSE_S) {
      // a pulsing red ring: requests are failing here
      ctx.globalAlpha = alpha * (0.5 + 0.5 * pulse * (1 - since / FAIL_PULSE_S));
      ctx.strokeStyle = '#ff3b30';
      ctx.lineWidth = 3 + 3 * pulse;
      ctx.strokeRect(x - 2, y - 2, w + 4, w + 4);
      ctx.globalAlpha = alpha;
    }
    if (w >= 60 && life === L.crashed) {
      const failed = s[o + F.failed];
      if (v.badgeVal[sl] !== failed || v.badgeStr[sl] === undefined) {
        v.badgeVal[sl] = failed;
        v.badgeStr[sl] = v.tr('fleet.failed_badge', { n: v.fmt.int(failed) });
      }
      drawTag(ctx, x, y + w, w, v.badgeStr[sl], inView ? labels.inView : labels.outOfView, inView ? '#d92d20' : '#5b6775');
    } else if (w >= 60 && life === L.ready && !inView && !(s[o + F.flags] & (B.ejected | B.unhealthy))) {
      drawTag(ctx, x, y + w, w, s[o + F.registry] === v.R.evicted ? labels.evictedOut : labels.notInView, null, '#6d28d9');
    }
    ctx.globalAlpha = 1;
  }
}

export function hatchPattern(v) {
  if (!v.hatch) {
    const c = document.createElement('canvas');
    c.width = c.height = 8;
    const x = c.getContext('2d');
    x.fillStyle = C.stopped;
    x.fillRect(0, 0, 8, 8);
    x.strokeStyle = C.hatchLine;
    x.lineWidth = 2.5;
    x.beginPath();
    x.moveTo(-2, 10); x.lineTo(10, -2);
    x.moveTo(6, 10); x.lineTo(10, 6);
    x.moveTo(-2, 2); x.lineTo(2, -2);
    x.stroke();
    v.hatch = v.ctx.createPattern(c, 'repeat');
  }
  return v.hatch;
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

/** A one- or two-line tag along the bottom of a cell. */
function drawTag(ctx, x, bottom, w, line1, line2, color) {
  const lh = 13;
  const h = (line2 ? 2 : 1) * lh + 4;
  const a = ctx.globalAlpha;
  ctx.fillStyle = color;
  ctx.globalAlpha = Math.min(a, 0.92);
  ctx.fillRect(x + 3, bottom - h - 3, w - 6, h);
  ctx.globalAlpha = a;
  ctx.fillStyle = '#ffffff';
  ctx.font = FONT_TAG;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(line1, x + 6, bottom - h - 1, w - 12);
  if (line2) ctx.fillText(line2, x + 6, bottom - h - 1 + lh, w - 12);
}

/** Text broken at spaces into lines no wider than w (in the current font). */
function wrapLines(ctx, text, w) {
  const lines = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > w) { lines.push(line); line = word; } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}
