// The fleet canvas (the interface the page codes against). Each frame update() reads the
// per-instance view — a Float32Array over wasm memory, one row of `Simulation.view_fields()` per
// instance, codes named by `codes()` — into typed arrays indexed by instance id (grown by
// doubling, never per frame), eases what it shows (utilisation over about half a second on
// screen and a simulated second, queues, fades, positions) and notes failures; draw() then draws
// it one of three ways by fleet size:
// - detail, up to DETAIL_LIMIT instances (fleet-detail.js): the balancer, rounded cells with text
//   and queue bars, request dots, the failure overlay with the "✕ N failed — still in view!" badge;
// - grid, up to LARGE_FLEET (fleet-pixels.js): the same look as pixels in an ImageData;
// - heat map beyond (fleet-pixels.js): one cell per instance beside a panel with the utilisation
//   histogram, the busiest and idlest instances and the counts by lifecycle state.
// hit(), describe(), stats() and order answer from the same arrays. Text goes through
// `t(key, params)`, with English defaults in EN; numbers through `fmt`. The easing is
// presentation only: every number shown is the core's, smoothed.

import { DOT_S, FAIL_BURST, FAIL_PULSE_S, FAIL_TRAVEL, HIST_BINS, PANEL_EVERY_S, TOP_K, px } from './fleet-style.js';
import { drawDetail } from './fleet-detail.js';
import { computeStats, drawGrid, drawHeatmap } from './fleet-pixels.js';

export { utilColor } from './fleet-style.js';

/** English number formats, used when the page passes no `fmt`. */
const defaultFmt = (() => {
  const f0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const f2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  const p0 = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 0 });
  const ok = (x) => x != null && Number.isFinite(x);
  return {
    num: (x) => (ok(x) ? f2.format(x) : '—'),
    int: (x) => (ok(x) ? f0.format(x) : '—'),
    pct: (x) => (ok(x) ? p0.format(x) : '—'),
    ms: (s) => (ok(s) ? `${f2.format(s * 1000)} ms` : '—'),
  };
})();

export const DETAIL_LIMIT = 200; // up to this many rows: vector drawing with text and dots
export const LARGE_FLEET = 3000; // beyond this many rows: the heat map (back below 90 % of it)
const MAX_DOTS = 350;
const MAX_FAIL_DOTS = 160;
const MAX_MARKS = 64; // rings drawn for crashed or failing instances in the pixel views
const STOP_FADE_S = 1.2;
const UTIL_TAU_WALL = 0.5; // utilisation colours ease over about half a second on screen…
const UTIL_TAU_SIM = 1; // …and, when update() is told the simulated time, over a simulated second

// The columns and codes this module reads; a name the core does not export is an error.
const COLUMNS = ['id', 'lifecycle', 'registry', 'queue', 'in_service', 'concurrency', 'utilization', 'routed', 'completed', 'dropped',
  'failed', 'weight', 'speed', 'lease_left_s', 'in_view', 'flags', 'kv_use', 'kv_blocks'];
const LIFECYCLES = ['starting', 'ready', 'draining', 'terminating', 'stopped', 'crashed'];
const REGISTRY_STATES = ['suspect', 'evicted'];
const FLAGS = ['partitioned', 'slow', 'ejected', 'unhealthy', 'kv_full'];

/** English text for every key this module uses ({name} = a parameter). */
export const EN = {
  'fleet.balancer': 'balancer',
  'fleet.load_label': 'L = {rate} req/s',
  'fleet.instance': '#{id}',
  'fleet.queue': 'q {n}',
  'fleet.kv': 'KV {pct}',
  'fleet.weight': 'w{w}',
  'fleet.speed': '×{s}',
  'fleet.failed_badge': '✕ {n} failed',
  'fleet.failed_in_view': 'still in view!',
  'fleet.failed_out_of_view': 'out of view',
  'fleet.not_in_view': 'not in view (yet)',
  'fleet.evicted_out_of_view': 'evicted: out of view',
  'fleet.no_instance_in_view': 'no instance in the balancer’s view',
  'fleet.histogram_title': 'Utilisation of ready instances',
  'fleet.histogram_count': '{n} ready',
  'fleet.busiest': 'Busiest',
  'fleet.idlest': 'Idlest',
  'fleet.callout': '#{id} {util}',
  'fleet.states_title': 'Instances by state',
  'fleet.out_of_view_count': 'ready, not in view',
  'fleet.ejected_count': 'ejected or unhealthy',
  'fleet.instances_count': '{n} instances',
};
for (const s of LIFECYCLES) EN[`fleet.state.${s}`] = s;
for (const s of REGISTRY_STATES) EN[`fleet.registry.${s}`] = s;
for (const s of ['slow', 'partitioned']) EN[`fleet.flag.${s}`] = s; // the flags written in cells

const ease = (dt, tau) => 1 - Math.exp(-dt / tau);
const MODE_NAMES = ['detail', 'grid', 'heatmap'];
const DETAIL = 0, GRID = 1, HEATMAP = 2;

export class FleetView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{fields: string[], codes: {lifecycle: string[], registry: string[], flags: [string, number][]},
   *          t?: (key: string, params?: object) => string, fmt?: {num, int, pct, ms}}} o
   */
  constructor(canvas, { fields, codes, t, fmt } = {}) {
    if (!Array.isArray(fields) || !codes) throw new Error('FleetView needs { fields: Simulation.view_fields(), codes: codes() }');
    this.canvas = canvas;
    // Its own compositing layer: redrawing the canvas every frame then repaints only the canvas,
    // not the page around it (with software rendering, that repaint was most of a frame).
    canvas.style.willChange = 'transform';
    this.ctx = canvas.getContext('2d');
    this.t = t;
    this.fmt = fmt ?? defaultFmt;
    // column indices and codes by name
    const F = {};
    for (const name of COLUMNS) {
      const i = fields.indexOf(name);
      if (i < 0) throw new Error(`FleetView: the view has no column "${name}" (columns: ${fields.join(', ')})`);
      F[name] = i;
    }
    this.F = F;
    this.nf = fields.length;
    const code = (list, name, what) => {
      const i = list.indexOf(name);
      if (i < 0) throw new Error(`FleetView: the core names no ${what} "${name}" (it names: ${list.join(', ')})`);
      return i;
    };
    this.lifeNames = codes.lifecycle.slice();
    this.regNames = codes.registry.slice();
    this.flagList = codes.flags.map(([name, bit]) => [name, bit]);
    const L = {};
    for (const s of LIFECYCLES) L[s] = code(codes.lifecycle, s, 'lifecycle state');
    this.L = L;
    this.R = { suspect: code(codes.registry, 'suspect', 'registry state'), evicted: code(codes.registry, 'evicted', 'registry state') };
    const bits = Object.fromEntries(codes.flags);
    for (const s of FLAGS) if (!(s in bits)) throw new Error(`FleetView: the core names no flag "${s}" (it names: ${Object.keys(bits).join(', ')})`);
    this.B = { partitioned: bits.partitioned, slow: bits.slow, ejected: bits.ejected, unhealthy: bits.unhealthy, kv_full: bits.kv_full };
    // lifecycle codes whose instances have a queue (starting, ready, draining, terminating)
    this.hasQueue = new Uint8Array(this.lifeNames.length + 1);
    for (const s of ['starting', 'ready', 'draining', 'terminating']) this.hasQueue[L[s]] = 1;
    // leaving the fleet: draining (no new requests) or terminating (deregistered, its preStop
    // hook running, still serving what stale caches send): both drawn hatched
    this.leaving = new Uint8Array(this.lifeNames.length + 1);
    for (const s of ['draining', 'terminating']) this.leaving[L[s]] = 1;

    // page-set properties
    this.selected = null;
    this.algorithm = '';
    this.loadLabel = '';
    this.queueLimit = 1000;

    this.clock = 0;
    this.gen = 1;
    this.n = 0;
    this.mode = DETAIL;
    this.modeShown = -1;
    this.reducedMotion = typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.cap = 0;
    this.grow(64);
    this.snap = new Float32Array(64 * this.nf);
    this.orderBuf = new Int32Array(64); // ids by row (ascending, as the core lists them)
    this.prevOrder = new Int32Array(64);
    this.slotBuf = new Int32Array(64); // slot by row
    this.prevSlot = new Int32Array(64);
    this.prevN = 0;
    this.orderView = null;
    // request dots and failing-request dots (ring buffers, struct of arrays)
    this.dotSlot = new Int32Array(MAX_DOTS); this.dotT = new Float32Array(MAX_DOTS); this.dotJ = new Float32Array(MAX_DOTS);
    this.dotN = 0;
    this.fdSlot = new Int32Array(MAX_FAIL_DOTS); this.fdT = new Float32Array(MAX_FAIL_DOTS); this.fdJ = new Float32Array(MAX_FAIL_DOTS);
    this.fdN = 0;
    this.marks = new Int32Array(MAX_MARKS);
    this.markN = 0;
    this.inViewCount = 0;
    this.readyCount = 0;
    // heat-map panel statistics
    this.hist = new Int32Array(HIST_BINS);
    this.counts = new Int32Array(this.lifeNames.length);
    this.busiest = new Int32Array(TOP_K); this.busiestU = new Float32Array(TOP_K);
    this.idlest = new Int32Array(TOP_K); this.idlestU = new Float32Array(TOP_K);
    this.busiest.fill(-1); this.idlest.fill(-1);
    this.statReady = 0; this.statOutOfView = 0; this.statEjected = 0;
    this.panelAt = -1e9;
    this.panelText = null;
    // geometry, kept in one object mutated in place (g.cols is used for keyboard navigation)
    this.g = { mode: DETAIL, cols: 1, rows: 1, cell: 0, offX: 0, offY: 0, lb: { x: 0, y: 0, w: 0, h: 0 }, panel: null, gridW: 0, gridH: 0 };
    this.colX = new Int32Array(2); this.rowY = new Int32Array(2);
    this.img = null; this.img32 = null; this.tiny = null;
    this.layoutKey = '';
    this.hatch = null;
    this.labelsAt = -1e9;
    this.labels = null;
    this.refreshLabels();
    this.resize();
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => this.resize()).observe(canvas);
  }

  // ---------------------------------------------------------------- text
  /** Translated text for `key`: the page's `t`, or the English default when it has none. */
  tr(key, params) {
    // a page catalog that can say whether it has the key (i18n.js's t.has) is asked only for
    // keys it has: no "missing key" noise while the catalogs have not caught up
    const t = this.t;
    const s = t && (typeof t.has !== 'function' || t.has(key)) ? t(key, params) : key;
    if (s != null && s !== key) return s;
    const en = EN[key] ?? key.slice(key.lastIndexOf('.') + 1);
    return params ? en.replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? '')) : en;
  }

  /** Static labels, re-read twice a second (a language switch shows within half a second). */
  refreshLabels() {
    const L = {
      balancer: this.tr('fleet.balancer'),
      state: this.lifeNames.map((s) => this.tr(`fleet.state.${s}`)),
      suspect: this.tr('fleet.registry.suspect'),
      evicted: this.tr('fleet.registry.evicted'),
      slow: this.tr('fleet.flag.slow'),
      partitioned: this.tr('fleet.flag.partitioned'),
      inView: this.tr('fleet.failed_in_view'),
      outOfView: this.tr('fleet.failed_out_of_view'),
      notInView: this.tr('fleet.not_in_view'),
      evictedOut: this.tr('fleet.evicted_out_of_view'),
      noneInView: this.tr('fleet.no_instance_in_view'),
      pct: [],
    };
    for (let k = 0; k <= 100; k++) L.pct.push(this.fmt.pct(k / 100));
    const key = JSON.stringify(L);
    if (key !== this.labelsKey) {
      this.labelsKey = key;
      this.labels = L;
      // per-instance strings are rebuilt on next use
      this.idStr.fill(undefined); this.qStr.fill(undefined); this.tagStr.fill(undefined); this.badgeStr.fill(undefined);
      this.panelAt = -1e9;
    }
    this.loadFor = undefined;
    this.labelsAt = this.clock;
  }

  /** `loadLabel` as drawn: a string as given, a number (req/s) through `fleet.load_label`. */
  get loadString() {
    const v = this.loadLabel;
    if (typeof v !== 'number') return v ?? '';
    if (v !== this.loadFor) { this.loadFor = v; this.loadText = this.tr('fleet.load_label', { rate: this.fmt.num(v) }); }
    return this.loadText;
  }

  /** "instance 7" for the instance in slot `sl` (cached while it stays in the view). */
  slotLabel(sl, id) {
    return this.idStr[sl] ?? (this.idStr[sl] = this.tr('fleet.instance', { id: String(id) }));
  }

  /** The same for an id, drawn or not. */
  idLabel(id) {
    const r = this.rowOfId(id);
    return r >= 0 ? this.slotLabel(this.slotBuf[r], id) : this.tr('fleet.instance', { id: String(id) });
  }

  // ---------------------------------------------------------------- storage
  /**
   * Grows the per-slot arrays to hold `need` slots (doubling; the only allocation). A slot holds
   * one instance's eased state while it is in the view and is reused after it leaves, so memory
   * follows the largest fleet shown, not the ids an autoscaler's churn has used up.
   */
  grow(need) {
    let cap = Math.max(64, this.cap);
    while (cap < need) cap *= 2;
    if (cap === this.cap) return;
    const f32 = (old, fill = 0) => { const a = new Float32Array(cap); if (fill) a.fill(fill); if (old) a.set(old); return a; };
    const f64 = (old, fill = 0) => { const a = new Float64Array(cap); if (fill) a.fill(fill); if (old) a.set(old); return a; };
    this.util = f32(this.util); this.uw = f32(this.uw); this.q = f32(this.q); this.alpha = f32(this.alpha);
    this.tx = f32(this.tx); this.ty = f32(this.ty); this.ts = f32(this.ts);
    this.acc = f32(this.acc); this.failAt = f32(this.failAt, -1e9); this.failAcc = f32(this.failAcc); this.failLast = f32(this.failLast, -1e9);
    this.stoppedAt = f64(this.stoppedAt, -1); this.failPrev = f64(this.failPrev);
    const i32 = (old, fill) => { const a = new Int32Array(cap); a.fill(fill); if (old) a.set(old); return a; };
    this.rowOf = i32(this.rowOf, -1); this.seen = i32(this.seen, 0);
    const arr = (old) => { const a = new Array(cap); if (old) for (let i = 0; i < old.length; i++) a[i] = old[i]; return a; };
    this.idStr = arr(this.idStr); this.qStr = arr(this.qStr); this.qVal = f32(this.qVal, -1);
    this.tagStr = arr(this.tagStr); this.tagKey = f64(this.tagKey, -1); this.tagOff = f32(this.tagOff);
    this.badgeStr = arr(this.badgeStr); this.badgeVal = f64(this.badgeVal, -1);
    // free slots: never used ones highest first (the first instances take 0, 1, …) under
    // those given back; slots given back this frame wait in `pending` until the next, so a
    // request dot still flying to a departed instance never lands on a newcomer
    const free = new Int32Array(cap);
    let k = 0;
    for (let sl = cap - 1; sl >= this.cap; sl--) free[k++] = sl;
    if (this.free) { free.set(this.free.subarray(0, this.freeN), k); k += this.freeN; }
    const pending = new Int32Array(cap);
    if (this.pending) pending.set(this.pending.subarray(0, this.pendingN));
    this.free = free; this.freeN = k; this.pending = pending; this.pendingN ??= 0;
    this.cap = cap;
  }

  /** A slot for an instance new to the view. */
  takeSlot() {
    if (this.freeN === 0) this.grow(this.cap + 1);
    return this.free[--this.freeN];
  }

  /** Gives back the slot of an instance that left the view; its cached text goes with it. */
  releaseSlot(sl) {
    this.rowOf[sl] = -1;
    this.seen[sl] = 0;
    this.idStr[sl] = this.qStr[sl] = this.tagStr[sl] = this.badgeStr[sl] = undefined;
    this.pending[this.pendingN++] = sl;
  }

  /** The row of instance `id` in the view drawn (rows are in id order), or -1. */
  rowOfId(id) {
    const order = this.orderBuf;
    let lo = 0, hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, v = order[mid];
      if (v === id) return mid;
      if (v < id) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  /** Forgets every instance (a new simulation). Optional: update() also copes without it. */
  reset() {
    for (let i = 0; i < this.n; i++) this.releaseSlot(this.slotBuf[i]);
    this.n = this.prevN = 0;
    this.dotN = this.fdN = this.markN = 0;
    this.idStr.fill(undefined); this.qStr.fill(undefined); this.tagStr.fill(undefined); this.badgeStr.fill(undefined);
    this.panelAt = -1e9;
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
    const W = Math.max(100, r.width || this.canvas.width / dpr);
    const H = Math.max(100, r.height || this.canvas.height / dpr);
    // setting the canvas size clears it: only when the size really changed
    if (W === this.W && H === this.H && dpr === this.dpr && this.canvas.width === Math.round(W * dpr)) return;
    this.dpr = dpr;
    this.W = W;
    this.H = H;
    this.canvas.width = Math.round(this.W * dpr);
    this.canvas.height = Math.round(this.H * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.layoutKey = '';
    this.fullRedraw = true;
    this.panelAt = -1e9;
  }

  /** Ids in drawing order (an Int32Array view, reused while N is unchanged). */
  get order() {
    if (!this.orderView || this.orderView.buffer !== this.orderBuf.buffer || this.orderView.length !== this.n) {
      this.orderView = this.orderBuf.subarray(0, this.n);
    }
    return this.orderView;
  }

  // ---------------------------------------------------------------- update
  /**
   * @param {Float32Array} view  rows × fields (may be a view over wasm memory: it is copied)
   * @param {number} rows
   * @param {number} dt  real seconds since the last frame
   * @param {boolean} advanced  whether simulated time moved (eases utilisation, spawns dots)
   * @param {number} [simDt]  simulated seconds this frame covered: when given, utilisation is
   *   smoothed over at least UTIL_TAU_SIM of simulated time as well as UTIL_TAU_WALL of real
   *   time, so a slow simulation (large N) shows utilisation over a meaningful stretch of it
   */
  update(view, rows, dt, advanced, simDt) {
    dt = dt > 0 ? Math.min(dt, 1) : 0;
    this.clock += dt;
    const nf = this.nf, F = this.F, L = this.L;
    rows = view ? Math.max(0, Math.min(rows | 0, Math.floor(view.length / nf))) : 0;
    const len = rows * nf;
    if (this.snap.length < len) this.snap = new Float32Array(Math.max(len, this.snap.length * 2));
    const s = this.snap;
    if (view && view.length === len) s.set(view);
    else for (let k = 0; k < len; k++) s[k] = view[k];
    if (this.orderBuf.length < rows) {
      let c = this.orderBuf.length;
      while (c < rows) c *= 2;
      const keep = (a) => { const b = new Int32Array(c); b.set(a.subarray(0, this.n)); return b; };
      this.orderBuf = keep(this.orderBuf); this.prevOrder = new Int32Array(c);
      this.slotBuf = keep(this.slotBuf); this.prevSlot = new Int32Array(c);
    }
    // last frame's rows become prev (swap the buffers)
    let swap = this.orderBuf; this.orderBuf = this.prevOrder; this.prevOrder = swap;
    swap = this.slotBuf; this.slotBuf = this.prevSlot; this.prevSlot = swap;
    const prevN = this.n;
    const order = this.orderBuf, slots = this.slotBuf, prevOrder = this.prevOrder, prevSlot = this.prevSlot;
    // Both frames list ids in ascending order: one walk carries each instance's slot over, gives
    // back the slots of those gone and (after the walk, so no slot changes hands within a frame)
    // finds slots for the new ones.
    for (let k = 0; k < this.pendingN; k++) this.free[this.freeN++] = this.pending[k];
    this.pendingN = 0;
    let p = 0, fresh = 0;
    for (let r = 0; r < rows; r++) {
      const id = s[r * nf + F.id] | 0;
      while (p < prevN && prevOrder[p] < id) this.releaseSlot(prevSlot[p++]);
      if (p < prevN && prevOrder[p] === id) slots[r] = prevSlot[p++];
      else { slots[r] = -1; fresh++; }
      order[r] = id;
    }
    while (p < prevN) this.releaseSlot(prevSlot[p++]);
    if (fresh > 0) for (let r = 0; r < rows; r++) if (slots[r] < 0) slots[r] = this.takeSlot();
    const gen = ++this.gen;
    const clock = this.clock;
    const kUtil = simDt >= 0 ? Math.min(ease(dt, UTIL_TAU_WALL), ease(simDt, UTIL_TAU_SIM)) : ease(dt, UTIL_TAU_WALL);
    const kQ = ease(dt, 0.12), kA = ease(dt, 0.2);
    const crashed = L.crashed, stopped = L.stopped, ready = L.ready;
    const wantDots = advanced && rows <= DETAIL_LIMIT && !this.reducedMotion;
    const util = this.util, uw = this.uw, q = this.q, alpha = this.alpha, seen = this.seen, rowOf = this.rowOf, stoppedAt = this.stoppedAt;
    const ts = this.ts, acc = this.acc;
    const failPrev = this.failPrev, failAt = this.failAt, failAcc = this.failAcc, marksBuf = this.marks;
    const cLife = F.lifecycle, cUtil = F.utilization, cFailed = F.failed, cView = F.in_view, cQueue = F.queue, cRouted = F.routed;
    let inView = 0, readyN = 0, routedTotal = 0, marks = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * nf;
      const sl = slots[r]; // the per-instance arrays are indexed by slot
      rowOf[sl] = r;
      const life = s[o + cLife];
      const raw = s[o + cUtil];
      const failed = s[o + cFailed];
      const iv = s[o + cView] !== 0;
      if (seen[sl] !== gen - 1) {
        // new to the view (or back after a gap): start from its values
        util[sl] = raw === raw ? raw : 0;
        uw[sl] = 0;
        q[sl] = s[o + cQueue];
        alpha[sl] = 0;
        ts[sl] = 0;
        stoppedAt[sl] = -1;
        failPrev[sl] = failed;
        failAt[sl] = -1e9;
        failAcc[sl] = 0;
        acc[sl] = 0;
      } else {
        if (advanced && raw === raw && kUtil > 0) {
          // exponentially weighted, with the weight seen so far (uw) normalised out: until the
          // instance has been watched for about τ it shows the mean of what was seen, not a
          // mix with its first frame
          uw[sl] = uw[sl] * (1 - kUtil) + kUtil;
          util[sl] += ((raw - util[sl]) * kUtil) / uw[sl];
        }
        q[sl] += (s[o + cQueue] - q[sl]) * kQ;
        const rise = failed - failPrev[sl];
        if (rise > 0) {
          failAt[sl] = clock;
          // refused at a dead instance still in view: about one red dot per 8 failures
          if (iv && (life === crashed || life === stopped)) failAcc[sl] = Math.min(6, failAcc[sl] + rise / 8);
        }
        failPrev[sl] = failed;
      }
      seen[sl] = gen;
      if (life === stopped) {
        if (stoppedAt[sl] < 0) stoppedAt[sl] = clock;
        alpha[sl] = Math.max(0, 1 - (clock - stoppedAt[sl]) / STOP_FADE_S);
      } else {
        stoppedAt[sl] = -1;
        alpha[sl] += (1 - alpha[sl]) * kA;
      }
      if (iv) inView++;
      if (life === ready) readyN++;
      routedTotal += s[o + cRouted];
      if (marks < MAX_MARKS && (life === crashed || clock - failAt[sl] < FAIL_PULSE_S)) marksBuf[marks++] = r;
    }
    this.n = rows;
    this.markN = marks;
    this.inViewCount = inView;
    this.readyCount = readyN;

    // mode, with hysteresis so that a fleet hovering at a threshold does not flicker
    const m = this.mode;
    if (rows > LARGE_FLEET || (m === HEATMAP && rows >= LARGE_FLEET * 0.9)) this.mode = HEATMAP;
    else if (rows > DETAIL_LIMIT || (m === GRID && rows > DETAIL_LIMIT * 0.9)) this.mode = GRID;
    else this.mode = DETAIL;
    this.layout();

    if (this.mode === DETAIL) this.updateDetail(dt, rows, routedTotal, wantDots);
    else { this.dotN = 0; this.fdN = 0; }

    if (clock - this.labelsAt >= PANEL_EVERY_S) this.refreshLabels();
    const ds = this.canvas.dataset;
    if (rows !== this.shownRows) { this.shownRows = rows; ds.instancesDrawn = String(rows); }
    if (readyN !== this.shownReady) { this.shownReady = readyN; ds.instancesReady = String(readyN); }
    if (this.mode !== this.modeShown) { this.modeShown = this.mode; ds.mode = MODE_NAMES[this.mode]; }
  }

  /** Detail view: tweened positions, request dots and failing-request dots. */
  updateDetail(dt, rows, routedTotal, wantDots) {
    const g = this.g, F = this.F, s = this.snap, nf = this.nf, slots = this.slotBuf;
    const kPos = ease(dt, 0.18);
    for (let i = 0; i < rows; i++) {
      const sl = slots[i];
      const tx = g.offX + (i % g.cols) * g.cell, ty = g.offY + Math.floor(i / g.cols) * g.cell;
      if (this.ts[sl] === 0 || this.snapAll) { this.tx[sl] = tx; this.ty[sl] = ty; if (this.snapAll) this.ts[sl] = g.cell; }
      this.tx[sl] += (tx - this.tx[sl]) * kPos;
      this.ty[sl] += (ty - this.ty[sl]) * kPos;
      this.ts[sl] += (g.cell - this.ts[sl]) * kPos;
    }
    this.snapAll = false;
    // request dots (each holds its instance's slot): a share of each instance's routed requests, within a budget
    if (wantDots) {
      const budget = Math.max(0, Math.min(MAX_DOTS - this.dotN, Math.ceil(60 * dt * 8)));
      const scale = routedTotal > 0 ? Math.min(1, budget / routedTotal) : 0;
      for (let i = 0; i < rows && scale > 0; i++) {
        const sl = slots[i];
        this.acc[sl] += s[i * nf + F.routed] * scale;
        while (this.acc[sl] >= 1 && this.dotN < MAX_DOTS) {
          this.acc[sl] -= 1;
          const k = this.dotN++;
          this.dotSlot[k] = sl; this.dotT[k] = Math.random() * dt; this.dotJ[k] = (Math.random() - 0.5) * 0.6;
        }
      }
    }
    // age the dots; drop finished ones and those whose instance left (swap-remove)
    for (let k = 0; k < this.dotN;) {
      this.dotT[k] += dt;
      if (this.dotT[k] >= DOT_S || this.rowOf[this.dotSlot[k]] < 0) {
        const last = --this.dotN;
        this.dotSlot[k] = this.dotSlot[last]; this.dotT[k] = this.dotT[last]; this.dotJ[k] = this.dotJ[last];
      } else k++;
    }
    // failing requests: red dots launched over time from the accumulated failures
    if (!this.reducedMotion) {
      for (let i = 0; i < rows; i++) {
        const sl = slots[i];
        if (this.failAcc[sl] >= 1 && this.clock - this.failLast[sl] >= 0.05 && this.fdN < MAX_FAIL_DOTS) {
          this.failAcc[sl] -= 1;
          this.failLast[sl] = this.clock;
          const k = this.fdN++;
          this.fdSlot[k] = sl; this.fdT[k] = -Math.random() * 0.05; this.fdJ[k] = (Math.random() - 0.5) * 0.6;
        }
      }
    }
    for (let k = 0; k < this.fdN;) {
      this.fdT[k] += dt;
      if (this.fdT[k] >= FAIL_TRAVEL + FAIL_BURST || this.rowOf[this.fdSlot[k]] < 0) {
        const last = --this.fdN;
        this.fdSlot[k] = this.fdSlot[last]; this.fdT[k] = this.fdT[last]; this.fdJ[k] = this.fdJ[last];
      } else k++;
    }
  }

  // ---------------------------------------------------------------- layout
  /** Recomputes the geometry when the size, the row count or the mode changed. */
  layout() {
    const n = Math.max(1, this.n), mode = this.mode, W = this.W, H = this.H, dpr = this.dpr;
    const key = `${mode} ${n} ${W} ${H} ${dpr}`;
    if (key === this.layoutKey) return;
    this.layoutKey = key;
    this.panelAt = -1e9;
    this.fullRedraw = true;
    const g = this.g;
    if (mode === DETAIL && g.mode !== DETAIL) this.snapAll = true; // from the pixel views: no tween from stale places
    g.mode = mode;
    let gx, gy, gw, gh;
    if (mode === HEATMAP) {
      const side = W >= 520;
      const pw = side ? Math.round(Math.min(250, Math.max(185, W * 0.3))) : W - 16;
      const ph = side ? H - 16 : Math.round(Math.min(200, Math.max(150, H * 0.3)));
      g.panel = { x: 8, y: 8, w: pw, h: ph, side };
      gx = side ? pw + 26 : 8; gy = side ? 10 : ph + 20;
      gw = W - gx - 10; gh = H - gy - 10;
      g.lb.x = g.lb.y = g.lb.w = g.lb.h = 0;
    } else {
      const lbW = Math.min(110, Math.max(70, W * 0.12));
      g.lb.x = 12; g.lb.y = H / 2 - 36; g.lb.w = lbW; g.lb.h = 72;
      g.panel = null;
      gx = lbW + 44; gy = 12; gw = W - gx - 12; gh = H - 24;
    }
    gw = Math.max(10, gw); gh = Math.max(10, gh);
    let cols = Math.max(1, Math.round(Math.sqrt((n * gw) / gh)));
    let rows = Math.ceil(n / cols);
    while (rows * (gw / cols) > gh && cols < n) { cols++; rows = Math.ceil(n / cols); }
    const cell = Math.min(gw / cols, gh / rows, mode === DETAIL ? 150 : 60);
    g.cols = cols; g.rows = rows; g.cell = cell;
    g.offX = gx + (gw - cell * cols) / 2;
    // centred, except under a panel on top (narrow canvases), where it follows the panel
    g.offY = mode === HEATMAP && !g.panel.side ? gy : gy + (gh - cell * rows) / 2;
    g.gridW = cell * cols; g.gridH = cell * rows;
    if (mode === DETAIL) return;

    // pixel views: cell edges in device pixels, relative to the image's corner
    const c = cell * dpr;
    g.imgX = Math.floor(g.offX * dpr); g.imgY = Math.floor(g.offY * dpr);
    g.cellDev = c;
    if (c < 1) {
      // more instances than pixels: one pixel each, scaled down by drawImage
      this.gap = 0;
      if (!this.tiny || this.tiny.canvas.width !== cols || this.tiny.canvas.height !== rows) {
        const cv = document.createElement('canvas');
        cv.width = cols; cv.height = rows;
        const cx = cv.getContext('2d');
        this.tiny = { canvas: cv, ctx: cx, img: cx.createImageData(cols, rows) };
      }
      this.img = this.tiny.img;
      this.imgW = cols; this.imgH = rows;
      if (this.colX.length < cols + 1) this.colX = new Int32Array(cols + 1);
      if (this.rowY.length < rows + 1) this.rowY = new Int32Array(rows + 1);
      for (let i = 0; i <= cols; i++) this.colX[i] = i;
      for (let j = 0; j <= rows; j++) this.rowY[j] = j;
    } else {
      this.tiny = null;
      this.gap = c >= 4 ? Math.max(1, Math.round(c * 0.08)) : 0;
      if (this.colX.length < cols + 1) this.colX = new Int32Array(cols + 1);
      if (this.rowY.length < rows + 1) this.rowY = new Int32Array(rows + 1);
      const fx = g.offX * dpr - g.imgX, fy = g.offY * dpr - g.imgY;
      for (let i = 0; i <= cols; i++) this.colX[i] = Math.floor(fx + i * c);
      for (let j = 0; j <= rows; j++) this.rowY[j] = Math.floor(fy + j * c);
      const w = Math.max(1, this.colX[cols]), h = Math.max(1, this.rowY[rows]);
      if (!this.img || this.img.width !== w || this.img.height !== h) this.img = this.ctx.createImageData(w, h);
      this.imgW = w; this.imgH = h;
    }
    this.img32 = new Uint32Array(this.img.data.buffer);
  }

  /** The cell of grid index i in CSS pixels (x, y, size) into `out` (pixel views). */
  cellRect(i, out) {
    const g = this.g, cols = g.cols, dpr = this.dpr;
    const col = i % cols, row = (i - col) / cols;
    if (this.tiny) {
      out.x = g.offX + col * g.cell; out.y = g.offY + row * g.cell; out.w = out.h = g.cell;
    } else {
      out.x = (g.imgX + this.colX[col]) / dpr; out.y = (g.imgY + this.rowY[row]) / dpr;
      out.w = (this.colX[col + 1] - this.colX[col] - this.gap) / dpr;
      out.h = (this.rowY[row + 1] - this.rowY[row] - this.gap) / dpr;
    }
    return out;
  }

  // ---------------------------------------------------------------- draw
  draw() {
    if (this.mode === DETAIL) drawDetail(this);
    else if (this.mode === GRID) drawGrid(this);
    else drawHeatmap(this);
    this.fullRedraw = false;
  }

  queueFrac(q) {
    const lim = this.queueLimit;
    if (!(lim > 0)) return q > 0.5 ? 1 : 0;
    return Math.min(1, Math.log1p(Math.max(0, q)) / Math.log1p(lim));
  }

  // ---------------------------------------------------------------- queries
  /** Instance id under canvas coordinates (CSS px), or null. */
  hit(px, py) {
    const g = this.g, n = this.n;
    if (!(n > 0)) return null;
    if (this.mode === DETAIL) {
      for (let i = 0; i < n; i++) {
        const sl = this.slotBuf[i];
        const x = this.tx[sl], y = this.ty[sl], s = this.ts[sl];
        if (px >= x && px < x + s && py >= y && py < y + s) return this.orderBuf[i];
      }
      return null;
    }
    const col = Math.floor((px - g.offX) / g.cell), row = Math.floor((py - g.offY) / g.cell);
    if (col < 0 || col >= g.cols || row < 0) return null;
    const i = row * g.cols + col;
    return i < n ? this.orderBuf[i] : null;
  }

  describe(id) {
    if (id == null || !(id >= 0)) return null;
    const r = this.rowOfId(id);
    if (r < 0) return null;
    const s = this.snap, o = r * this.nf, F = this.F;
    const flags = s[o + F.flags];
    return {
      id,
      lifecycle: this.lifeNames[s[o + F.lifecycle]] ?? null,
      registry: this.regNames[s[o + F.registry]] ?? null,
      queue: s[o + F.queue],
      inService: s[o + F.in_service],
      util: this.util[this.slotBuf[r]],
      routed: s[o + F.routed],
      completed: s[o + F.completed],
      dropped: s[o + F.dropped],
      failed: s[o + F.failed],
      weight: s[o + F.weight],
      speed: s[o + F.speed],
      leaseLeft: s[o + F.lease_left_s],
      inView: s[o + F.in_view] !== 0,
      flags: this.flagList.filter(([, bit]) => flags & bit).map(([name]) => name),
    };
  }

  /**
   * What the heat map's panel shows, as data (for tests and for a text alternative):
   * mode, histogram of ready instances' utilisation, counts by lifecycle name, busiest and
   * idlest ({id, util}), ready instances out of the balancer's view, ejected or unhealthy.
   */
  stats() {
    if (this.mode !== HEATMAP) computeStats(this);
    const top = (ids, us) => [...ids].map((id, k) => ({ id, util: us[k] })).filter((e) => e.id >= 0);
    return {
      mode: MODE_NAMES[this.mode],
      histogram: [...this.hist],
      counts: Object.fromEntries(this.lifeNames.map((name, c) => [name, this.counts[c]])),
      busiest: top(this.busiest, this.busiestU),
      idlest: top(this.idlest, this.idlestU),
      ready: this.statReady,
      outOfView: this.statOutOfView,
      ejected: this.statEjected,
    };
  }

  /** The canvas as drawn, on the page's background, as a PNG. */
  toPNG() {
    const c = document.createElement('canvas');
    c.width = this.canvas.width;
    c.height = this.canvas.height;
    const x = c.getContext('2d');
    x.fillStyle = getComputedStyle(this.canvas.parentElement ?? this.canvas).backgroundColor || '#101a26';
    if (/rgba\(.*,\s*0\)$|transparent/.test(x.fillStyle)) x.fillStyle = '#101a26';
    x.fillRect(0, 0, c.width, c.height);
    x.drawImage(this.canvas, 0, 0);
    return new Promise((ok, fail) => c.toBlob((b) => (b ? ok(b) : fail(new Error('toBlob gave nothing'))), 'image/png'));
  }
}
