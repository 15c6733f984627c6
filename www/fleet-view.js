// The canvas: the balancer on the left, the instances in a grid on the right. Each frame it
// reads the per-instance view (a Float32Array over wasm memory) and eases what it draws
// towards it: positions and sizes tween when N changes, utilisation and queue lengths are
// smoothed, new instances scale in, draining ones are hatched, stopped ones fade out.
// Requests in flight are dots from the balancer to the instance they were routed to.

const LIFE = ['starting', 'ready', 'draining', 'stopped', 'crashed'];
const REG = ['unregistered', 'up', 'suspect', 'evicted', 'deregistered'];
// the flags' bits, as the core's codes() names them (these are the fallback for the old call)
const FLAG = { partitioned: 1, slow: 2, ejected: 4, unhealthy: 8 };
const MAX_DOTS = 350;
const DOT_S = 0.45; // seconds a dot travels (real time)
const DETAIL_LIMIT = 200; // above this: no per-instance text, no dots

const STOPS = [
  [0, [59, 130, 196]],
  [0.45, [47, 163, 107]],
  [0.78, [224, 177, 0]],
  [1, [214, 69, 65]],
];
export function utilColor(u, a = 1) {
  u = Math.max(0, Math.min(1, u || 0));
  let i = 1;
  while (i < STOPS.length - 1 && u > STOPS[i][0]) i++;
  const [u0, c0] = STOPS[i - 1];
  const [u1, c1] = STOPS[i];
  const t = (u - u0) / (u1 - u0);
  const c = c0.map((x, k) => Math.round(x + (c1[k] - x) * t));
  return `rgba(${c[0]},${c[1]},${c[2]},${a})`;
}

const ease = (dt, tau) => 1 - Math.exp(-dt / tau);

export class FleetView {
  constructor(canvas, opts) {
    // new FleetView(canvas, { fields, codes, t, fmt }) (the page's call) or the old (canvas, fields)
    const fields = Array.isArray(opts) ? opts : opts.fields;
    if (opts?.codes?.flags) Object.assign(FLAG, Object.fromEntries(opts.codes.flags));
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.F = Object.fromEntries(fields.map((f, i) => [f, i]));
    this.nf = fields.length;
    this.items = new Map(); // id -> tweened drawing state
    this.order = []; // ids in drawing order
    this.dots = [];
    this.selected = null;
    this.queueLimit = 1000;
    this.clock = 0;
    this.hatch = null;
    this.reducedMotion = matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.resize();
    new ResizeObserver(() => this.resize()).observe(canvas);
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.W = Math.max(100, r.width);
    this.H = Math.max(100, r.height);
    this.canvas.width = Math.round(this.W * dpr);
    this.canvas.height = Math.round(this.H * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.layoutDirty = true;
  }

  /** Balancer box and grid area. */
  geometry(n) {
    const lbW = Math.min(110, Math.max(70, this.W * 0.12));
    const gx = lbW + 44, gy = 12, gw = this.W - gx - 12, gh = this.H - 24;
    let cols = Math.max(1, Math.round(Math.sqrt((n * gw) / gh)));
    let rows = Math.ceil(n / cols);
    // widen until it fits the height
    while (rows * (gw / cols) > gh && cols < n) { cols++; rows = Math.ceil(n / cols); }
    const cell = Math.min(gw / cols, gh / rows, 150);
    const offX = gx + (gw - cell * cols) / 2;
    const offY = gy + (gh - cell * rows) / 2;
    return { lb: { x: 12, y: this.H / 2 - 36, w: lbW, h: 72 }, cols, rows, cell, offX, offY };
  }

  /**
   * @param {Float32Array|null} view  rows × fields
   * @param {number} n  rows
   * @param {number} dt  real seconds since the last frame
   * @param {boolean} advanced  whether simulated time moved (spawn dots only then)
   */
  update(view, n, dt, advanced) {
    this.clock += dt;
    const F = this.F, nf = this.nf;
    const seen = new Set();
    const order = [];
    for (let r = 0; r < n; r++) {
      const o = r * nf;
      const id = view[o + F.id];
      seen.add(id);
      order.push(id);
      let it = this.items.get(id);
      if (!it) {
        it = { id, x: 0, y: 0, s: 0, util: view[o + F.utilization] || 0, q: view[o + F.queue], alpha: 0, placed: false, stoppedAt: null, acc: 0 };
        this.items.set(id, it);
      }
      it.life = view[o + F.lifecycle];
      it.reg = view[o + F.registry];
      it.queue = view[o + F.queue];
      it.inService = view[o + F.in_service];
      it.conc = view[o + F.concurrency];
      it.rawUtil = view[o + F.utilization];
      it.routed = view[o + F.routed];
      it.completed = view[o + F.completed];
      it.dropped = view[o + F.dropped];
      it.failed = view[o + F.failed];
      it.weight = view[o + F.weight];
      it.speed = view[o + F.speed];
      it.lease = view[o + F.lease_left_s];
      it.inView = view[o + F.in_view];
      it.flags = view[o + F.flags];
      // model servers: KV-cache fill (fraction) and its size; the batch is in_service of concurrency
      it.kv = view[o + F.kv_use] || 0;
      it.kvBlocks = view[o + F.kv_blocks] || 0;
      it.sat = view[o + F.saturation] || 0;
      if (it.life === 3 && it.stoppedAt == null) it.stoppedAt = this.clock;
      if (it.life !== 3) it.stoppedAt = null;
    }
    for (const id of this.items.keys()) if (!seen.has(id)) this.items.delete(id);
    this.order = order;

    const g = this.geometry(Math.max(1, n));
    this.g = g;
    const kPos = ease(dt, 0.18), kUtil = ease(dt, 0.5), kQ = ease(dt, 0.12), kA = ease(dt, 0.2);
    order.forEach((id, i) => {
      const it = this.items.get(id);
      const tx = g.offX + (i % g.cols) * g.cell, ty = g.offY + Math.floor(i / g.cols) * g.cell;
      if (!it.placed) { it.x = tx; it.y = ty; it.s = 0; it.placed = true; }
      it.x += (tx - it.x) * kPos;
      it.y += (ty - it.y) * kPos;
      it.s += (g.cell - it.s) * kPos;
      if (advanced && Number.isFinite(it.rawUtil)) it.util += (it.rawUtil - it.util) * kUtil;
      it.q += (it.queue - it.q) * kQ;
      const targetA = it.life === 3 ? Math.max(0, 1 - (this.clock - it.stoppedAt) / 1.2) : 1;
      it.alpha += (targetA - it.alpha) * (it.life === 3 ? 1 : kA);
    });

    // dots
    if (advanced && n <= DETAIL_LIMIT && !this.reducedMotion) {
      let routedTotal = 0;
      for (const id of order) routedTotal += this.items.get(id).routed;
      const budget = Math.max(0, Math.min(MAX_DOTS - this.dots.length, Math.ceil(60 * dt * 8)));
      const scale = routedTotal > 0 ? Math.min(1, budget / routedTotal) : 0;
      for (const id of order) {
        const it = this.items.get(id);
        it.acc += it.routed * scale;
        while (it.acc >= 1 && this.dots.length < MAX_DOTS) {
          it.acc -= 1;
          this.dots.push({ id, t: Math.random() * dt, jitter: (Math.random() - 0.5) * 0.6 });
        }
      }
    } else if (n > DETAIL_LIMIT) {
      this.dots.length = 0;
    }
    for (const d of this.dots) d.t += dt;
    this.dots = this.dots.filter((d) => d.t < DOT_S && this.items.has(d.id));
    this.canvas.dataset.instancesDrawn = String(n);
    this.canvas.dataset.instancesReady = String(order.filter((id) => this.items.get(id).life === 1).length);
  }

  draw() {
    const { ctx, W, H } = this;
    const g = this.g;
    ctx.clearRect(0, 0, W, H);
    if (!g) return;
    const n = this.order.length;
    const detail = n <= DETAIL_LIMIT;

    // balancer
    const lb = g.lb;
    ctx.fillStyle = '#1d3b5c';
    ctx.strokeStyle = '#7cc4ff';
    ctx.lineWidth = 2;
    roundRect(ctx, lb.x, lb.y, lb.w, lb.h, 10);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = '#e8f3ff';
    ctx.font = '600 13px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText('balancer', lb.x + lb.w / 2, lb.y + lb.h / 2 - 9);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#9fc3e6';
    ctx.fillText(this.algorithm ?? '', lb.x + lb.w / 2, lb.y + lb.h / 2 + 9);
    // incoming traffic: a short arrow into the balancer, labelled with L
    const ax = lb.x + lb.w / 2;
    ctx.strokeStyle = '#7cc4ff';
    ctx.fillStyle = '#7cc4ff';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(ax, lb.y - 30);
    ctx.lineTo(ax, lb.y - 8);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(ax - 5, lb.y - 10); ctx.lineTo(ax + 5, lb.y - 10); ctx.lineTo(ax, lb.y - 3);
    ctx.fill();
    ctx.fillStyle = '#cfe3f7';
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.fillText(this.loadLabel ?? '', 8, lb.y - 40);
    ctx.textAlign = 'center';

    const ox = lb.x + lb.w, oy = lb.y + lb.h / 2;
    // faint fan of links when few instances
    if (detail && n <= 60) {
      ctx.strokeStyle = 'rgba(124,196,255,0.10)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (const id of this.order) {
        const it = this.items.get(id);
        if (it.life !== 1) continue;
        ctx.moveTo(ox, oy);
        ctx.lineTo(it.x + it.s * 0.06, it.y + it.s / 2);
      }
      ctx.stroke();
    }

    // dots
    ctx.fillStyle = '#e3f1ff';
    for (const d of this.dots) {
      const it = this.items.get(d.id);
      // a request sent to a crashed (or stopped) instance fails: red
      ctx.fillStyle = it.life >= 3 ? '#ff4d4d' : '#e3f1ff';
      const p = Math.max(0, d.t / DOT_S);
      const e = 1 - (1 - p) * (1 - p);
      const tx = it.x + it.s * 0.3, ty = it.y + it.s * (0.5 + d.jitter * 0.5);
      const x = ox + (tx - ox) * e;
      const y = oy + (ty - oy) * e + Math.sin(p * Math.PI) * d.jitter * 30;
      ctx.globalAlpha = p < 0.85 ? 1 : (1 - p) / 0.15;
      ctx.beginPath();
      ctx.arc(x, y, 2.6, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.globalAlpha = 1;

    for (const id of this.order) this.drawCell(this.items.get(id), detail);
    this.overlay?.(ctx, this); // e.g. faults.js: failure pulses and tags
  }

  drawCell(it, detail) {
    const ctx = this.ctx;
    const pad = Math.max(0.5, Math.min(6, it.s * 0.08));
    const s = it.s;
    const scale = it.life === 0 ? 0.85 + 0.15 * Math.min(1, s / (this.g.cell || 1)) : 1;
    const w = (s - 2 * pad) * scale;
    if (w <= 0.5 || it.alpha <= 0.01) return;
    const x = it.x + (s - w) / 2, y = it.y + (s - w) / 2;
    const r = Math.min(6, w * 0.15);
    ctx.globalAlpha = it.alpha;

    // body
    if (it.life === 4) ctx.fillStyle = '#3a0d0d';
    else if (it.life === 2) ctx.fillStyle = this.hatchPattern();
    else if (it.life === 3) ctx.fillStyle = '#3c4654';
    else if (it.life === 0) ctx.fillStyle = 'rgba(124,196,255,0.22)';
    else ctx.fillStyle = utilColor(it.util);
    if (w < 4) {
      ctx.fillRect(x, y, w, w);
    } else {
      roundRect(ctx, x, y, w, w, r);
      ctx.fill();
    }

    // a model server: its batch slots along the top, its KV-cache fill along the bottom
    if (it.kvBlocks > 0 && w >= 10 && it.life <= 2) this.drawReplica(it, x, y, w, detail);

    // queue: a bar along the right edge, log scale, full = queue limit
    if (w >= 6 && it.life <= 2) {
      const frac = Math.min(1, Math.log1p(Math.max(0, it.q)) / Math.log1p(this.queueLimit));
      if (detail) {
        const bw = Math.max(4, w * 0.12);
        const bx = x + w - bw - 3, by = y + 3, bh = w - 6;
        ctx.fillStyle = 'rgba(10,16,24,0.55)';
        ctx.fillRect(bx, by, bw, bh);
        ctx.fillStyle = '#ffffff';
        ctx.fillRect(bx, by + bh * (1 - frac), bw, bh * frac);
      } else if (frac > 0.02) {
        // small cells: the queue fills the cell from the bottom in white
        ctx.fillStyle = 'rgba(255,255,255,0.85)';
        ctx.fillRect(x + w * 0.6, y + w * (1 - frac), w * 0.4, w * frac);
      }
    }

    // borders for states
    if (w >= 4) {
      ctx.lineWidth = detail ? 2 : 1;
      let stroke = null, dash = null;
      if (it.life === 0) { stroke = '#7cc4ff'; dash = [4, 3]; }
      else if (it.life === 4) stroke = '#d64541';
      if (it.flags & FLAG.partitioned || (it.life === 1 && !it.inView)) { stroke = '#b57cff'; dash = [3, 3]; }
      if (it.flags & (FLAG.ejected | FLAG.unhealthy)) stroke = '#ff9f1c';
      if (this.selected === it.id) { stroke = '#ffffff'; dash = null; ctx.lineWidth = 3; }
      if (stroke) {
        ctx.strokeStyle = stroke;
        ctx.setLineDash(dash ?? []);
        roundRect(ctx, x, y, w, w, r);
        ctx.stroke();
        ctx.setLineDash([]);
      }
    }

    if (detail && w >= 34) {
      const big = w >= 70;
      ctx.fillStyle = it.life === 1 ? '#0b1420' : '#e8eef5';
      if (it.life === 1 && it.util < 0.3) ctx.fillStyle = '#ffffff';
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.font = `600 ${big ? 13 : 10}px system-ui, sans-serif`;
      ctx.fillText(`#${it.id}`, x + 4, y + 3);
      // balancer weight and speed (capacity multiplier), shown only when not 1
      const tag = [it.weight !== 1 && `w${it.weight}`, it.speed !== 1 && `×${Number(it.speed.toPrecision(3))}`].filter(Boolean).join(' ');
      if (tag) ctx.fillText(tag, x + 4 + ctx.measureText(`#${it.id} `).width, y + 3);
      ctx.font = `${big ? 12 : 9.5}px system-ui, sans-serif`;
      const lines = [];
      if (it.life === 1) lines.push(`${Math.round(it.util * 100)}%`);
      else lines.push(LIFE[it.life] ?? '');
      if (it.life <= 2) lines.push(`q ${Math.round(it.queue)}`);
      if (it.kvBlocks > 0 && it.life <= 2) lines.push(`KV ${Math.round(it.kv * 100)}%`);
      if (it.flags & FLAG.slow) lines.push('slow');
      if (it.flags & FLAG.partitioned) lines.push('partitioned');
      if (it.life === 1 && (it.reg === 2 || it.reg === 3)) lines.push(REG[it.reg]);
      const lh = big ? 15 : 11;
      const maxLines = Math.max(1, Math.floor((w - (big ? 22 : 16)) / lh));
      lines.slice(0, maxLines).forEach((t, i) => ctx.fillText(t, x + 4, y + (big ? 20 : 15) + i * lh));
      if (it.life === 4) {
        ctx.strokeStyle = '#d64541';
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x + w * 0.3, y + w * 0.45); ctx.lineTo(x + w * 0.7, y + w * 0.85);
        ctx.moveTo(x + w * 0.7, y + w * 0.45); ctx.lineTo(x + w * 0.3, y + w * 0.85);
        ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
  }

  /**
   * Batch slots and KV fill of one replica: up to 16 slot marks (each standing for
   * max_batch / marks sequences, filled as the batch is), and a bar as full as its cache.
   */
  drawReplica(it, x, y, w, detail) {
    const ctx = this.ctx;
    const inset = 3, bh = Math.max(3, Math.min(8, w * 0.07));
    const full = it.flags & (FLAG.kv_full ?? 0);
    // KV fill
    const kx = x + inset, ky = y + w - bh - inset, kw = w * (detail ? 0.84 : 0.94) - 2 * inset;
    ctx.fillStyle = 'rgba(10,16,24,0.55)';
    ctx.fillRect(kx, ky, kw, bh);
    ctx.fillStyle = full ? '#ff4d4d' : it.kv >= 0.8 ? '#ffb020' : '#c9f2ff';
    ctx.fillRect(kx, ky, kw * Math.max(0, Math.min(1, it.kv)), bh);
    // batch slots
    const marks = Math.max(1, Math.min(16, it.conc));
    const filled = it.conc > 0 ? Math.round((it.inService / it.conc) * marks) : 0;
    const sy = ky - bh - 2, gap = 1, sw = (kw - gap * (marks - 1)) / marks;
    if (sw < 1) return;
    for (let i = 0; i < marks; i++) {
      ctx.fillStyle = i < filled ? '#ffffff' : 'rgba(10,16,24,0.45)';
      ctx.fillRect(kx + i * (sw + gap), sy, sw, bh);
    }
  }

  hatchPattern() {
    if (!this.hatch) {
      const c = document.createElement('canvas');
      c.width = c.height = 8;
      const x = c.getContext('2d');
      x.fillStyle = '#3c4654';
      x.fillRect(0, 0, 8, 8);
      x.strokeStyle = '#6b7786';
      x.lineWidth = 2.5;
      x.beginPath();
      x.moveTo(-2, 10); x.lineTo(10, -2);
      x.moveTo(6, 10); x.lineTo(10, 6);
      x.moveTo(-2, 2); x.lineTo(2, -2);
      x.stroke();
      this.hatch = this.ctx.createPattern(c, 'repeat');
    }
    return this.hatch;
  }

  /** Instance id under canvas coordinates (CSS px), or null. */
  hit(px, py) {
    for (const id of this.order) {
      const it = this.items.get(id);
      if (px >= it.x && px < it.x + it.s && py >= it.y && py < it.y + it.s) return id;
    }
    return null;
  }

  describe(id) {
    const it = this.items.get(id);
    if (!it) return null;
    const flags = Object.entries(FLAG).filter(([, b]) => it.flags & b).map(([k]) => k);
    return {
      id,
      life: LIFE[it.life] ?? '?',
      registry: REG[it.reg] ?? '?',
      queue: it.queue,
      inService: it.inService,
      util: it.util,
      completed: it.completed,
      dropped: it.dropped,
      failed: it.failed,
      speed: it.speed,
      lease: it.lease,
      inView: !!it.inView,
      flags,
    };
  }
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
