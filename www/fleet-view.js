// The fleet canvas. Each frame it reads the per-instance view (a Float32Array over wasm memory:
// one row of `Simulation.view_fields()` per instance, codes named by `codes()`) and draws it in
// one of three ways, by fleet size:
// - detail (up to DETAIL_LIMIT instances): the balancer on the left, instances as rounded cells
//   in a grid with their id, utilisation, queue bar and state; requests in flight as dots;
//   positions tween when N changes, utilisation and queues are eased, new instances scale in,
//   draining ones are hatched, stopped ones fade; failing requests at a dead instance fly in red
//   and burst, and its badge says how many failed and whether the balancer still sees it.
// - grid (up to LARGE_FLEET): the same look drawn as pixels into an ImageData (colour, queue
//   column, state borders, crash cross, hatch), the balancer and marks on top.
// - heat map (beyond): one cell per instance, coloured by utilisation or state, beside a panel
//   with the utilisation histogram of ready instances, the busiest and idlest instances (also
//   ringed and labelled on the map) and the count of instances in each lifecycle state.
// Drawing allocates nothing per frame: colours come from tables built once, state lives in
// typed arrays indexed by instance id (grown by doubling), strings are built when their value
// changes (labels, badges) or when the panel refreshes (twice a second). Text goes through
// `t(key, params)` with English defaults here (EN); numbers through `fmt`. The easing is
// presentation only: every number shown is the core's view, smoothed over about half a second.

import * as defaultFmt from './format.js';

export const DETAIL_LIMIT = 200; // up to this many rows: vector drawing with text and dots
export const LARGE_FLEET = 3000; // beyond this many rows: the heat map (back below 90 % of it)
const MAX_DOTS = 350;
const DOT_S = 0.45; // seconds a request dot travels (real time)
const MAX_FAIL_DOTS = 160;
const FAIL_TRAVEL = 0.4, FAIL_BURST = 0.25, FAIL_PULSE_S = 0.6;
const MAX_MARKS = 64; // rings drawn for crashed or failing instances in the pixel views
const PANEL_EVERY_S = 0.5; // the heat map's panel (histogram, call-outs, counts) refresh
const HIST_BINS = 20;
const TOP_K = 3;
const STOP_FADE_S = 1.2;
const UTIL_TAU_WALL = 0.5; // utilisation colours ease over about half a second on screen…
const UTIL_TAU_SIM = 1; // …and, when update() is told the simulated time, over a simulated second

// The columns and codes this module reads; a name the core does not export is an error.
const COLUMNS = ['id', 'lifecycle', 'registry', 'queue', 'in_service', 'utilization', 'routed', 'completed', 'dropped',
  'failed', 'weight', 'speed', 'lease_left_s', 'in_view', 'flags'];
const LIFECYCLES = ['starting', 'ready', 'draining', 'stopped', 'crashed'];
const REGISTRY_STATES = ['suspect', 'evicted'];
const FLAGS = ['partitioned', 'slow', 'ejected', 'unhealthy'];

/** English text for every key this module uses ({name} = a parameter). */
export const EN = {
  'fleet.balancer': 'balancer',
  'fleet.load_label': 'L = {rate} req/s',
  'fleet.instance': '#{id}',
  'fleet.queue': 'q {n}',
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
for (const s of FLAGS) EN[`fleet.flag.${s}`] = s;

// ------------------------------------------------------------------ colours
const STOPS = [
  [0, [59, 130, 196]],
  [0.45, [47, 163, 107]],
  [0.78, [224, 177, 0]],
  [1, [214, 69, 65]],
];
function utilRGB(u) {
  u = Math.max(0, Math.min(1, u || 0));
  let i = 1;
  while (i < STOPS.length - 1 && u > STOPS[i][0]) i++;
  const [u0, c0] = STOPS[i - 1];
  const [u1, c1] = STOPS[i];
  const t = (u - u0) / (u1 - u0);
  return c0.map((x, k) => Math.round(x + (c1[k] - x) * t));
}
/** The utilisation colour scale (also the page legend's gradient), as a CSS colour. */
export function utilColor(u, a = 1) {
  const c = utilRGB(u);
  return `rgba(${c[0]},${c[1]},${c[2]},${a})`;
}

const LUT = 256; // utilisation steps in the colour tables
const lutIndex = (u) => (u > 0 ? (u >= 1 ? LUT - 1 : (u * (LUT - 1) + 0.5) | 0) : 0);
const LITTLE = new Uint8Array(new Uint32Array([0x01020304]).buffer)[0] === 4;
/** A pixel of ImageData's RGBA bytes as one Uint32. */
function px(r, g, b, a = 255) {
  return (LITTLE ? (a << 24) | (b << 16) | (g << 8) | r : (r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}
const UTIL_CSS = [];
const UTIL_PX = new Uint32Array(LUT);
for (let i = 0; i < LUT; i++) {
  const [r, g, b] = utilRGB(i / (LUT - 1));
  UTIL_CSS.push(`rgb(${r},${g},${b})`);
  UTIL_PX[i] = px(r, g, b);
}
const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const C = {
  crashed: '#3a0d0d', crashedLine: '#d64541', stopped: '#3c4654', hatchLine: '#6b7786',
  starting: 'rgba(124,196,255,0.22)', startingLine: '#7cc4ff', outOfView: '#b57cff', ejected: '#ff9f1c',
  selected: '#ffffff', fail: '#ff4d4d', failDark: '#3a0d0d', idlest: '#7cc4ff',
  // rings of crashed instances on the heat map: a red apart from the utilisation scale's end
  crashRing: '#ff5c8a',
  text: '#e8eef5', muted: '#9fb3c8', panelLine: 'rgba(159,179,200,0.25)',
};
const P = {
  crashed: px(...hex(C.crashed)), crashedLine: px(...hex(C.crashedLine)), stopped: hex(C.stopped),
  hatchLine: px(...hex(C.hatchLine)), hatchDark: px(...hex(C.stopped)), starting: px(124, 196, 255, 56),
  startingMap: px(124, 196, 255, 150), startingLine: px(...hex(C.startingLine)), outOfView: px(...hex(C.outOfView)),
  ejected: px(...hex(C.ejected)), queue: px(240, 244, 248), draining: px(...hex(C.hatchLine)),
};
// fills and dashes made once (no per-frame arrays)
const DASH_START = [4, 3], DASH_VIEW = [3, 3], DASH_NONE = [], DASH_IDLE = [3, 2];
const FONT_LB = '600 13px system-ui, sans-serif', FONT_SMALL = '11px system-ui, sans-serif';
const FONT_L = '600 12px system-ui, sans-serif', FONT_TAG = '600 11px system-ui, sans-serif';
const FONT_ID_BIG = '600 13px system-ui, sans-serif', FONT_ID = '600 10px system-ui, sans-serif';
const FONT_LINE_BIG = '12px system-ui, sans-serif', FONT_LINE = '9.5px system-ui, sans-serif';
const FONT_H = '600 12px system-ui, sans-serif', FONT_P = '11.5px system-ui, sans-serif';

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
    this.B = { partitioned: bits.partitioned, slow: bits.slow, ejected: bits.ejected, unhealthy: bits.unhealthy };
    // lifecycle codes whose instances have a queue (starting, ready, draining)
    this.hasQueue = new Uint8Array(this.lifeNames.length + 1);
    for (const s of ['starting', 'ready', 'draining']) this.hasQueue[L[s]] = 1;

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
    this.orderBuf = new Int32Array(64);
    this.prevOrder = new Int32Array(64);
    this.prevN = 0;
    this.orderView = null;
    // request dots and failing-request dots (ring buffers, struct of arrays)
    this.dotId = new Int32Array(MAX_DOTS); this.dotT = new Float32Array(MAX_DOTS); this.dotJ = new Float32Array(MAX_DOTS);
    this.dotN = 0;
    this.fdId = new Int32Array(MAX_FAIL_DOTS); this.fdT = new Float32Array(MAX_FAIL_DOTS); this.fdJ = new Float32Array(MAX_FAIL_DOTS);
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
    const s = this.t ? this.t(key, params) : key;
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

  idLabel(id) {
    return this.idStr[id] ?? (this.idStr[id] = this.tr('fleet.instance', { id: this.fmt.int(id) }));
  }

  // ---------------------------------------------------------------- storage
  /** Grows the per-id arrays to hold ids below `need` (doubling; the only allocation). */
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
    this.tagStr = arr(this.tagStr); this.tagKey = f64(this.tagKey, -1);
    this.badgeStr = arr(this.badgeStr); this.badgeVal = f64(this.badgeVal, -1);
    this.cap = cap;
  }

  /** Forgets every instance (a new simulation). Optional: update() also copes without it. */
  reset() {
    this.seen.fill(0);
    this.rowOf.fill(-1);
    this.n = this.prevN = 0;
    this.dotN = this.fdN = this.markN = 0;
    this.idStr.fill(undefined); this.qStr.fill(undefined); this.tagStr.fill(undefined); this.badgeStr.fill(undefined);
    this.panelAt = -1e9;
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
    this.dpr = dpr;
    this.W = Math.max(100, r.width || this.canvas.width / dpr);
    this.H = Math.max(100, r.height || this.canvas.height / dpr);
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
      this.orderBuf = new Int32Array(c);
      this.prevOrder = new Int32Array(c);
    }
    let maxId = -1;
    for (let o = F.id; o < len; o += nf) if (s[o] > maxId) maxId = s[o];
    if (maxId >= this.cap) this.grow(maxId + 1);
    // last frame's order becomes prevOrder (swap the buffers)
    const prev = this.orderBuf;
    this.orderBuf = this.prevOrder;
    this.prevOrder = prev;
    const prevN = this.n;
    const order = this.orderBuf;
    const gen = ++this.gen;
    const clock = this.clock;
    const kUtil = simDt >= 0 ? Math.min(ease(dt, UTIL_TAU_WALL), ease(simDt, UTIL_TAU_SIM)) : ease(dt, UTIL_TAU_WALL);
    const kQ = ease(dt, 0.12), kA = ease(dt, 0.2);
    const crashed = L.crashed, stopped = L.stopped, ready = L.ready;
    const wantDots = advanced && rows <= DETAIL_LIMIT && !this.reducedMotion;
    const util = this.util, uw = this.uw, q = this.q, alpha = this.alpha, seen = this.seen, rowOf = this.rowOf, stoppedAt = this.stoppedAt;
    const failPrev = this.failPrev, failAt = this.failAt, failAcc = this.failAcc, marksBuf = this.marks;
    const cId = F.id, cLife = F.lifecycle, cUtil = F.utilization, cFailed = F.failed, cView = F.in_view, cQueue = F.queue, cRouted = F.routed;
    let inView = 0, readyN = 0, routedTotal = 0, marks = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * nf;
      const id = s[o + cId] | 0;
      order[r] = id;
      rowOf[id] = r;
      const life = s[o + cLife];
      const raw = s[o + cUtil];
      const failed = s[o + cFailed];
      const iv = s[o + cView] !== 0;
      if (seen[id] !== gen - 1) {
        // new to the view (or back after a gap): start from its values
        util[id] = raw === raw ? raw : 0;
        uw[id] = 0;
        q[id] = s[o + cQueue];
        alpha[id] = 0;
        this.ts[id] = 0;
        stoppedAt[id] = -1;
        failPrev[id] = failed;
        failAt[id] = -1e9;
        failAcc[id] = 0;
        this.acc[id] = 0;
      } else {
        if (advanced && raw === raw && kUtil > 0) {
          // exponentially weighted, with the weight seen so far (uw) normalised out: until the
          // instance has been watched for about τ it shows the mean of what was seen, not a
          // mix with its first frame
          uw[id] = uw[id] * (1 - kUtil) + kUtil;
          util[id] += ((raw - util[id]) * kUtil) / uw[id];
        }
        q[id] += (s[o + cQueue] - q[id]) * kQ;
        const rise = failed - failPrev[id];
        if (rise > 0) {
          failAt[id] = clock;
          // refused at a dead instance still in view: about one red dot per 8 failures
          if (iv && (life === crashed || life === stopped)) failAcc[id] = Math.min(6, failAcc[id] + rise / 8);
        }
        failPrev[id] = failed;
      }
      seen[id] = gen;
      if (life === stopped) {
        if (stoppedAt[id] < 0) stoppedAt[id] = clock;
        alpha[id] = Math.max(0, 1 - (clock - stoppedAt[id]) / STOP_FADE_S);
      } else {
        stoppedAt[id] = -1;
        alpha[id] += (1 - alpha[id]) * kA;
      }
      if (iv) inView++;
      if (life === ready) readyN++;
      routedTotal += s[o + cRouted];
      if (marks < MAX_MARKS && (life === crashed || clock - failAt[id] < FAIL_PULSE_S)) marksBuf[marks++] = r;
    }
    // instances gone from the view
    for (let i = 0; i < prevN; i++) {
      const id = this.prevOrder[i];
      if (seen[id] !== gen) rowOf[id] = -1;
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
    const g = this.g, F = this.F, s = this.snap, nf = this.nf, order = this.orderBuf;
    const kPos = ease(dt, 0.18);
    for (let i = 0; i < rows; i++) {
      const id = order[i];
      const tx = g.offX + (i % g.cols) * g.cell, ty = g.offY + Math.floor(i / g.cols) * g.cell;
      if (this.ts[id] === 0 || this.snapAll) { this.tx[id] = tx; this.ty[id] = ty; if (this.snapAll) this.ts[id] = g.cell; }
      this.tx[id] += (tx - this.tx[id]) * kPos;
      this.ty[id] += (ty - this.ty[id]) * kPos;
      this.ts[id] += (g.cell - this.ts[id]) * kPos;
    }
    this.snapAll = false;
    // request dots: a share of each instance's routed requests, within a budget
    if (wantDots) {
      const budget = Math.max(0, Math.min(MAX_DOTS - this.dotN, Math.ceil(60 * dt * 8)));
      const scale = routedTotal > 0 ? Math.min(1, budget / routedTotal) : 0;
      for (let i = 0; i < rows && scale > 0; i++) {
        const id = order[i];
        this.acc[id] += s[i * nf + F.routed] * scale;
        while (this.acc[id] >= 1 && this.dotN < MAX_DOTS) {
          this.acc[id] -= 1;
          const k = this.dotN++;
          this.dotId[k] = id; this.dotT[k] = Math.random() * dt; this.dotJ[k] = (Math.random() - 0.5) * 0.6;
        }
      }
    }
    // age the dots; drop finished ones and those whose instance left (swap-remove)
    for (let k = 0; k < this.dotN;) {
      this.dotT[k] += dt;
      if (this.dotT[k] >= DOT_S || this.rowOf[this.dotId[k]] < 0) {
        const last = --this.dotN;
        this.dotId[k] = this.dotId[last]; this.dotT[k] = this.dotT[last]; this.dotJ[k] = this.dotJ[last];
      } else k++;
    }
    // failing requests: red dots launched over time from the accumulated failures
    if (!this.reducedMotion) {
      for (let i = 0; i < rows; i++) {
        const id = order[i];
        if (this.failAcc[id] >= 1 && this.clock - this.failLast[id] >= 0.05 && this.fdN < MAX_FAIL_DOTS) {
          this.failAcc[id] -= 1;
          this.failLast[id] = this.clock;
          const k = this.fdN++;
          this.fdId[k] = id; this.fdT[k] = -Math.random() * 0.05; this.fdJ[k] = (Math.random() - 0.5) * 0.6;
        }
      }
    }
    for (let k = 0; k < this.fdN;) {
      this.fdT[k] += dt;
      if (this.fdT[k] >= FAIL_TRAVEL + FAIL_BURST || this.rowOf[this.fdId[k]] < 0) {
        const last = --this.fdN;
        this.fdId[k] = this.fdId[last]; this.fdT[k] = this.fdT[last]; this.fdJ[k] = this.fdJ[last];
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
      const ph = side ? H - 16 : Math.min(190, Math.round(H * 0.42));
      g.panel = { x: 8, y: 8, w: pw, h: ph, side };
      gx = side ? pw + 26 : 8; gy = side ? 10 : ph + 26;
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
    g.offY = gy + (gh - cell * rows) / 2;
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
    if (this.mode === DETAIL) this.drawDetail();
    else if (this.mode === GRID) this.drawGrid();
    else this.drawHeatmap();
    this.fullRedraw = false;
  }

  drawBalancer() {
    const { ctx } = this;
    const lb = this.g.lb;
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
    ctx.fillText(this.labels.balancer, lb.x + lb.w / 2, lb.y + lb.h / 2 - 9, lb.w - 6);
    ctx.font = FONT_SMALL;
    ctx.fillStyle = '#9fc3e6';
    ctx.fillText(this.algorithm ?? '', lb.x + lb.w / 2, lb.y + lb.h / 2 + 9, lb.w - 6);
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
    ctx.fillText(this.loadString, 8, lb.y - 40);
    if (this.n > 0 && this.inViewCount === 0) {
      // nothing for the balancer to pick: every request fails at the balancer
      const k = this.reducedMotion ? 1 : 0.6 + 0.4 * Math.sin(this.clock * 8);
      ctx.globalAlpha = k;
      ctx.strokeStyle = '#ff3b30';
      ctx.lineWidth = 4;
      ctx.strokeRect(lb.x - 3, lb.y - 3, lb.w + 6, lb.h + 6);
      ctx.globalAlpha = 1;
      ctx.fillStyle = '#ff6b61';
      ctx.font = FONT_TAG;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      if (!this.labels.noneInViewLines) this.labels.noneInViewLines = wrapLines(ctx, this.labels.noneInView, lb.w + 30);
      const lines = this.labels.noneInViewLines;
      for (let k = 0; k < lines.length; k++) ctx.fillText(lines[k], 8, lb.y + lb.h + 8 + 13 * k);
    }
  }

  // ------------------------------------------------ detail view (vector)
  drawDetail() {
    const { ctx, W, H, g } = this;
    ctx.clearRect(0, 0, W, H);
    const n = this.n, order = this.orderBuf, s = this.snap, nf = this.nf, F = this.F, L = this.L;
    this.drawBalancer();
    const lb = g.lb;
    const ox = lb.x + lb.w, oy = lb.y + lb.h / 2;
    // faint fan of links to the ready instances when there are few
    if (n <= 60) {
      ctx.strokeStyle = 'rgba(124,196,255,0.10)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        if (s[i * nf + F.lifecycle] !== L.ready) continue;
        const id = order[i];
        ctx.moveTo(ox, oy);
        ctx.lineTo(this.tx[id] + this.ts[id] * 0.06, this.ty[id] + this.ts[id] / 2);
      }
      ctx.stroke();
    }
    // request dots; one sent to a crashed or stopped instance fails: red
    for (let k = 0; k < this.dotN; k++) {
      const id = this.dotId[k];
      const r = this.rowOf[id];
      if (r < 0) continue;
      const life = s[r * nf + F.lifecycle];
      ctx.fillStyle = life === L.crashed || life === L.stopped ? '#ff4d4d' : '#e3f1ff';
      const p = Math.max(0, this.dotT[k] / DOT_S);
      const e = 1 - (1 - p) * (1 - p);
      const j = this.dotJ[k];
      const tx = this.tx[id] + this.ts[id] * 0.3, ty = this.ty[id] + this.ts[id] * (0.5 + j * 0.5);
      const x = ox + (tx - ox) * e;
      const y = oy + (ty - oy) * e + Math.sin(p * Math.PI) * j * 30;
      ctx.globalAlpha = p < 0.85 ? 1 : (1 - p) / 0.15;
      ctx.beginPath();
      ctx.arc(x, y, 2.6, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    for (let i = 0; i < n; i++) this.drawCell(i);
    this.drawFailures(ox, oy);
  }

  drawCell(i) {
    const ctx = this.ctx, s = this.snap, o = i * this.nf, F = this.F, L = this.L, B = this.B, labels = this.labels;
    const id = this.orderBuf[i];
    const life = s[o + F.lifecycle];
    const size = this.ts[id];
    const pad = Math.max(0.5, Math.min(6, size * 0.08));
    const scale = life === L.starting ? 0.85 + 0.15 * Math.min(1, size / (this.g.cell || 1)) : 1;
    const w = (size - 2 * pad) * scale;
    const alpha = this.alpha[id];
    if (w <= 0.5 || alpha <= 0.01) return;
    const x = this.tx[id] + (size - w) / 2, y = this.ty[id] + (size - w) / 2;
    const r = Math.min(6, w * 0.15);
    const util = this.util[id];
    const flags = s[o + F.flags], inView = s[o + F.in_view] !== 0;
    ctx.globalAlpha = alpha;

    // body
    if (life === L.crashed) ctx.fillStyle = C.crashed;
    else if (life === L.draining) ctx.fillStyle = this.hatchPattern();
    else if (life === L.stopped) ctx.fillStyle = C.stopped;
    else if (life === L.starting) ctx.fillStyle = C.starting;
    else ctx.fillStyle = UTIL_CSS[lutIndex(util)];
    if (w < 4) ctx.fillRect(x, y, w, w);
    else { roundRect(ctx, x, y, w, w, r); ctx.fill(); }

    // queue: a bar along the right edge, log scale, full = queue limit
    if (w >= 6 && this.hasQueue[life]) {
      const frac = this.queueFrac(this.q[id]);
      const bw = Math.max(4, w * 0.12);
      const bx = x + w - bw - 3, by = y + 3, bh = w - 6;
      ctx.fillStyle = 'rgba(10,16,24,0.55)';
      ctx.fillRect(bx, by, bw, bh);
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(bx, by + bh * (1 - frac), bw, bh * frac);
    }

    // borders for states
    if (w >= 4) {
      let stroke = null, dash = DASH_NONE;
      ctx.lineWidth = 2;
      if (life === L.starting) { stroke = C.startingLine; dash = DASH_START; }
      else if (life === L.crashed) stroke = C.crashedLine;
      if (flags & B.partitioned || (life === L.ready && !inView)) { stroke = C.outOfView; dash = DASH_VIEW; }
      if (flags & (B.ejected | B.unhealthy)) stroke = C.ejected;
      if (this.selected === id) { stroke = C.selected; dash = DASH_NONE; ctx.lineWidth = 3; }
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
      const idText = this.idLabel(id);
      ctx.fillText(idText, x + 4, y + 3);
      // balancer weight and speed (capacity multiplier), shown only when not 1
      const weight = s[o + F.weight], speed = s[o + F.speed];
      if (weight !== 1 || speed !== 1) {
        const key = weight * 1e6 + speed;
        if (this.tagKey[id] !== key || this.tagStr[id] === undefined) {
          this.tagKey[id] = key;
          const parts = [];
          if (weight !== 1) parts.push(this.tr('fleet.weight', { w: this.fmt.num(weight) }));
          if (speed !== 1) parts.push(this.tr('fleet.speed', { s: this.fmt.num(Number(speed.toPrecision(3))) }));
          this.tagStr[id] = parts.join(' ');
        }
        ctx.fillText(this.tagStr[id], x + 8 + ctx.measureText(idText).width, y + 3, Math.max(1, w - 12 - ctx.measureText(idText).width));
      }
      ctx.font = big ? FONT_LINE_BIG : FONT_LINE;
      const lh = big ? 15 : 11;
      const maxLines = Math.max(1, Math.floor((w - (big ? 22 : 16)) / lh));
      const y0 = y + (big ? 20 : 15), tw = w - 8;
      let line = 0;
      ctx.fillText(life === L.ready ? labels.pct[Math.round(util * 100)] ?? '' : labels.state[life] ?? '', x + 4, y0, tw);
      line++;
      if (this.hasQueue[life] && line < maxLines) {
        const qv = Math.round(s[o + F.queue]);
        if (this.qVal[id] !== qv || this.qStr[id] === undefined) { this.qVal[id] = qv; this.qStr[id] = this.tr('fleet.queue', { n: this.fmt.int(qv) }); }
        ctx.fillText(this.qStr[id], x + 4, y0 + lh * line++, tw);
      }
      if (flags & B.slow && line < maxLines) ctx.fillText(labels.slow, x + 4, y0 + lh * line++, tw);
      if (flags & B.partitioned && line < maxLines) ctx.fillText(labels.partitioned, x + 4, y0 + lh * line++, tw);
      if (life === L.ready && line < maxLines) {
        const reg = s[o + F.registry];
        if (reg === this.R.suspect) ctx.fillText(labels.suspect, x + 4, y0 + lh * line++, tw);
        else if (reg === this.R.evicted) ctx.fillText(labels.evicted, x + 4, y0 + lh * line++, tw);
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

  queueFrac(q) {
    const lim = this.queueLimit;
    if (!(lim > 0)) return q > 0.5 ? 1 : 0;
    return Math.min(1, Math.log1p(Math.max(0, q)) / Math.log1p(lim));
  }

  /** Detail view: failing requests fly in red and burst; failing cells pulse; badges. */
  drawFailures(ox, oy) {
    const ctx = this.ctx, s = this.snap, nf = this.nf, F = this.F, L = this.L, B = this.B, labels = this.labels;
    for (let k = 0; k < this.fdN; k++) {
      const t = this.fdT[k];
      const id = this.fdId[k];
      if (t < 0 || this.rowOf[id] < 0) continue;
      const size = this.ts[id], j = this.fdJ[k];
      const tx = this.tx[id] + Math.max(1, size * 0.08), ty = this.ty[id] + size * (0.5 + j * 0.5);
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
    const pulse = this.reducedMotion ? 1 : 0.5 + 0.5 * Math.sin(this.clock * 12);
    for (let i = 0; i < this.n; i++) {
      const id = this.orderBuf[i], o = i * nf;
      const size = this.ts[id];
      const pad = Math.max(0.5, Math.min(6, size * 0.08));
      const w = size - 2 * pad;
      const alpha = this.alpha[id];
      if (w <= 1 || alpha <= 0.01) continue;
      const x = this.tx[id] + pad, y = this.ty[id] + pad;
      const since = this.clock - this.failAt[id];
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
        if (this.badgeVal[id] !== failed || this.badgeStr[id] === undefined) {
          this.badgeVal[id] = failed;
          this.badgeStr[id] = this.tr('fleet.failed_badge', { n: this.fmt.int(failed) });
        }
        drawTag(ctx, x, y + w, w, this.badgeStr[id], inView ? labels.inView : labels.outOfView, inView ? '#d92d20' : '#5b6775');
      } else if (w >= 60 && life === L.ready && !inView && !(s[o + F.flags] & (B.ejected | B.unhealthy))) {
        drawTag(ctx, x, y + w, w, s[o + F.registry] === this.R.evicted ? labels.evictedOut : labels.notInView, null, '#6d28d9');
      }
      ctx.globalAlpha = 1;
    }
  }

  hatchPattern() {
    if (!this.hatch) {
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
      this.hatch = this.ctx.createPattern(c, 'repeat');
    }
    return this.hatch;
  }

  // ------------------------------------------------ pixel views
  /** The colour of row i in the pixel views. */
  pixelOf(i, map) {
    const s = this.snap, o = i * this.nf, F = this.F, L = this.L;
    const life = s[o + F.lifecycle];
    const id = this.orderBuf[i];
    if (life === L.ready) {
      if (map) {
        // on the heat map the balancer's blind spots take a colour of their own
        if (s[o + F.in_view] === 0) return P.outOfView;
        if (s[o + F.flags] & (this.B.ejected | this.B.unhealthy)) return P.ejected;
      }
      return UTIL_PX[lutIndex(this.util[id])];
    }
    if (life === L.starting) return map ? P.startingMap : P.starting;
    if (life === L.draining) return P.draining;
    if (life === L.crashed) return P.crashed;
    if (life === L.stopped) {
      const a = Math.round(255 * this.alpha[id]);
      return px(P.stopped[0], P.stopped[1], P.stopped[2], a);
    }
    return 0;
  }

  /** Fills the image: one block per cell (its first pixel row written, then copied down). */
  fillCells(map) {
    const img = this.img32, W = this.imgW, n = this.n, cols = this.g.cols, gap = this.gap;
    const colX = this.colX, rowY = this.rowY;
    img.fill(0);
    const gridRows = Math.ceil(n / cols);
    for (let gr = 0; gr < gridRows; gr++) {
      const y0 = rowY[gr], y1 = rowY[gr + 1] - gap;
      if (y1 <= y0) continue;
      const base = y0 * W;
      const i0 = gr * cols, i1 = Math.min(n, i0 + cols);
      for (let i = i0; i < i1; i++) {
        const col = i - i0;
        const c = this.pixelOf(i, map);
        const x1 = colX[col + 1] - gap;
        for (let x = colX[col]; x < x1; x++) img[base + x] = c;
      }
      const rowEnd = base + colX[i1 - i0];
      for (let y = y0 + 1; y < y1; y++) img.copyWithin(y * W, base, rowEnd);
    }
  }

  /** Grid view: hatch, queue columns, state borders and crash crosses, in pixels. */
  decorateCells() {
    const img = this.img32, W = this.imgW, n = this.n, cols = this.g.cols, gap = this.gap;
    const s = this.snap, nf = this.nf, F = this.F, L = this.L, B = this.B;
    const colX = this.colX, rowY = this.rowY;
    for (let i = 0; i < n; i++) {
      const col = i % cols, gr = (i - col) / cols;
      const x0 = colX[col], x1 = colX[col + 1] - gap, y0 = rowY[gr], y1 = rowY[gr + 1] - gap;
      const w = x1 - x0, h = y1 - y0;
      if (w < 4 || h < 4) continue;
      const o = i * nf;
      const life = s[o + F.lifecycle], flags = s[o + F.flags];
      const id = this.orderBuf[i];
      if (life === L.draining) {
        for (let y = y0; y < y1; y++) {
          const row = y * W;
          for (let x = x0; x < x1; x++) img[row + x] = (x + y) & 4 ? P.hatchLine : P.hatchDark;
        }
      }
      if (w >= 6 && this.hasQueue[life]) {
        const frac = this.queueFrac(this.q[id]);
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
  blit() {
    const g = this.g;
    if (this.tiny) {
      this.tiny.ctx.putImageData(this.img, 0, 0);
      this.ctx.imageSmoothingEnabled = true;
      this.ctx.drawImage(this.tiny.canvas, g.offX, g.offY, g.gridW, g.gridH);
    } else {
      this.ctx.putImageData(this.img, g.imgX, g.imgY);
    }
  }

  drawGrid() {
    const { ctx, W, H } = this;
    ctx.clearRect(0, 0, W, H);
    this.drawBalancer();
    this.fillCells(false);
    this.decorateCells();
    this.blit();
    this.drawMarks(false);
  }

  /** Rings over the pixel views: failing instances (pulsing) and the selected one. */
  drawMarks(map) {
    const ctx = this.ctx, s = this.snap, nf = this.nf, F = this.F, L = this.L;
    const r = this.rect ?? (this.rect = { x: 0, y: 0, w: 0, h: 0 });
    const pulse = this.reducedMotion ? 1 : 0.5 + 0.5 * Math.sin(this.clock * 12);
    for (let k = 0; k < this.markN; k++) {
      const i = this.marks[k];
      if (i >= this.n) continue;
      const id = this.orderBuf[i];
      const since = this.clock - this.failAt[id];
      const life = s[i * nf + F.lifecycle];
      this.cellRect(i, r);
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
    const sel = this.selected;
    if (sel != null && sel >= 0 && sel < this.cap && this.rowOf[sel] >= 0) {
      this.cellRect(this.rowOf[sel], r);
      const grow = map ? 3 : 1;
      ctx.strokeStyle = '#0b1420';
      ctx.lineWidth = 4;
      ctx.strokeRect(r.x - grow, r.y - grow, r.w + 2 * grow, r.h + 2 * grow);
      ctx.strokeStyle = C.selected;
      ctx.lineWidth = 2;
      ctx.strokeRect(r.x - grow, r.y - grow, r.w + 2 * grow, r.h + 2 * grow);
      if (map) this.callout(r, this.idLabel(sel), C.selected, false);
    }
  }

  // ------------------------------------------------ heat map
  drawHeatmap() {
    const { ctx, g } = this;
    if (this.fullRedraw) ctx.clearRect(0, 0, this.W, this.H);
    if (this.clock - this.panelAt >= PANEL_EVERY_S) {
      this.panelAt = this.clock;
      this.computeStats();
      this.drawPanel();
    }
    // the map area (with a margin for rings and call-outs) is redrawn every frame
    const pad = 4;
    const gx = g.panel.side ? g.panel.x + g.panel.w + 4 : 0, gy = g.panel.side ? 0 : g.panel.y + g.panel.h + 4;
    ctx.clearRect(gx, gy, this.W - gx, this.H - gy);
    this.fillCells(true);
    this.blit();
    this.drawMarks(true);
    // the busiest and idlest: rings, and the first of each labelled with id and utilisation
    const r = this.rect ?? (this.rect = { x: 0, y: 0, w: 0, h: 0 });
    for (let k = TOP_K - 1; k >= 0; k--) {
      for (let list = 0; list < 2; list++) {
        const busiest = list === 0;
        const ids = busiest ? this.busiest : this.idlest;
        const color = busiest ? C.selected : C.idlest, dash = busiest ? DASH_NONE : DASH_IDLE;
        const id = ids[k];
        if (id < 0 || id >= this.cap || this.rowOf[id] < 0) continue;
        this.cellRect(this.rowOf[id], r);
        ctx.strokeStyle = '#0b1420';
        ctx.lineWidth = 3.5;
        ctx.setLineDash(DASH_NONE);
        ctx.strokeRect(r.x - pad, r.y - pad, r.w + 2 * pad, r.h + 2 * pad);
        ctx.strokeStyle = color;
        ctx.lineWidth = 1.5;
        ctx.setLineDash(dash);
        ctx.strokeRect(r.x - pad, r.y - pad, r.w + 2 * pad, r.h + 2 * pad);
        ctx.setLineDash(DASH_NONE);
        if (k === 0 && this.panelText) this.callout(r, busiest ? this.panelText.busiestTag : this.panelText.idlestTag, color, !busiest);
      }
    }
  }

  /** A small label beside cell rect r, kept inside the map. */
  callout(r, text, color, below) {
    const ctx = this.ctx, g = this.g;
    ctx.font = FONT_TAG;
    const w = ctx.measureText(text).width + 8, h = 15;
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
  computeStats() {
    const s = this.snap, nf = this.nf, F = this.F, L = this.L, B = this.B, n = this.n, order = this.orderBuf;
    const hist = this.hist, counts = this.counts;
    hist.fill(0); counts.fill(0);
    const bi = this.busiest, bu = this.busiestU, ii = this.idlest, iu = this.idlestU;
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
      const u = this.util[id];
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
    this.statReady = readyN; this.statOutOfView = out; this.statEjected = ej;
    // the panel's strings, built here (twice a second), not per frame
    const f = this.fmt;
    const entry = (id, u) => `${this.idLabel(id)}  ${f.pct(u)}`;
    const T = this.panelText ?? (this.panelText = { busiest: [], idlest: [] });
    T.busiest.length = 0; T.idlest.length = 0;
    for (let k = 0; k < TOP_K; k++) {
      if (bi[k] >= 0) T.busiest.push(entry(bi[k], bu[k]));
      if (ii[k] >= 0) T.idlest.push(entry(ii[k], iu[k]));
    }
    T.busiestTag = bi[0] >= 0 ? this.tr('fleet.callout', { id: f.int(bi[0]), util: f.pct(bu[0]) }) : '';
    T.idlestTag = ii[0] >= 0 ? this.tr('fleet.callout', { id: f.int(ii[0]), util: f.pct(iu[0]) }) : '';
    T.count = this.tr('fleet.histogram_count', { n: f.int(readyN) });
    T.instances = this.tr('fleet.instances_count', { n: f.int(n) });
    T.states = [];
    for (let c = 0; c < counts.length; c++) if (counts[c] > 0 || c === L.ready) T.states.push([c, this.labels.state[c], f.int(counts[c])]);
    if (out > 0) T.states.push(['out', this.tr('fleet.out_of_view_count'), f.int(out)]);
    if (ej > 0) T.states.push(['ej', this.tr('fleet.ejected_count'), f.int(ej)]);
    T.title = this.tr('fleet.histogram_title');
    T.busiestH = this.tr('fleet.busiest');
    T.idlestH = this.tr('fleet.idlest');
    T.statesH = this.tr('fleet.states_title');
    T.axis = [f.pct(0), f.pct(0.5), f.pct(1)];
  }

  /** The heat map's panel: balancer, histogram, busiest and idlest, counts by state. */
  drawPanel() {
    const ctx = this.ctx, p = this.g.panel, T = this.panelText, L = this.L;
    ctx.clearRect(p.x - 4, p.y - 4, p.w + 8, p.h + 8);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    const col2 = p.side ? null : { x: p.x + Math.round(p.w * 0.55), w: Math.round(p.w * 0.45) };
    const w1 = col2 ? Math.round(p.w * 0.52) : p.w;
    let y = p.y;
    // balancer and load
    ctx.fillStyle = '#e8f3ff';
    ctx.font = FONT_H;
    ctx.fillText(`${this.labels.balancer} · ${this.algorithm ?? ''}`, p.x, y, w1);
    y += 16;
    ctx.fillStyle = '#cfe3f7';
    ctx.font = FONT_P;
    ctx.fillText(`${this.loadString} · ${T.instances}`, p.x, y, w1);
    y += 16;
    if (this.n > 0 && this.inViewCount === 0) {
      ctx.fillStyle = '#ff6b61';
      ctx.font = FONT_TAG;
      ctx.fillText(this.labels.noneInView, p.x, y, w1);
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
    for (let b = 0; b < HIST_BINS; b++) if (this.hist[b] > max) max = this.hist[b];
    const bw = w1 / HIST_BINS;
    ctx.fillStyle = 'rgba(159,179,200,0.08)';
    ctx.fillRect(p.x, y, w1, hh);
    for (let b = 0; b < HIST_BINS; b++) {
      const c = this.hist[b];
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
        : c === L.starting ? 'rgba(124,196,255,0.6)' : c === L.draining ? C.hatchLine : c === L.crashed ? C.crashed : C.stopped;
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

  // ---------------------------------------------------------------- queries
  /** Instance id under canvas coordinates (CSS px), or null. */
  hit(px, py) {
    const g = this.g, n = this.n;
    if (!(n > 0)) return null;
    if (this.mode === DETAIL) {
      for (let i = 0; i < n; i++) {
        const id = this.orderBuf[i];
        const x = this.tx[id], y = this.ty[id], s = this.ts[id];
        if (px >= x && px < x + s && py >= y && py < y + s) return id;
      }
      return null;
    }
    const col = Math.floor((px - g.offX) / g.cell), row = Math.floor((py - g.offY) / g.cell);
    if (col < 0 || col >= g.cols || row < 0) return null;
    const i = row * g.cols + col;
    return i < n ? this.orderBuf[i] : null;
  }

  describe(id) {
    if (id == null || !(id >= 0) || id >= this.cap) return null;
    const r = this.rowOf[id];
    if (r < 0 || r >= this.n) return null;
    const s = this.snap, o = r * this.nf, F = this.F;
    const flags = s[o + F.flags];
    return {
      id,
      lifecycle: this.lifeNames[s[o + F.lifecycle]] ?? null,
      registry: this.regNames[s[o + F.registry]] ?? null,
      queue: s[o + F.queue],
      inService: s[o + F.in_service],
      util: this.util[id],
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
    if (this.mode !== HEATMAP) this.computeStats();
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

  /**
   * The old page's per-instance objects (a read-only Map-like: id → {id, life, reg, queue,
   * inService, util, routed, completed, dropped, failed, weight, speed, lease, inView, flags},
   * codes as numbers), for the panels of the current main.js; new code uses describe() and
   * order. An object is refreshed from the view only when read.
   */
  get items() {
    return this.legacyItems ?? (this.legacyItems = new LegacyItems(this));
  }

  legacyItem(id) {
    const objs = this.legacyObjs ?? (this.legacyObjs = []);
    let it = objs[id];
    if (!it) objs[id] = it = new LegacyItem(id);
    if (it.gen !== this.gen) {
      it.gen = this.gen;
      const s = this.snap, o = this.rowOf[id] * this.nf, F = this.F;
      it.life = s[o + F.lifecycle]; it.reg = s[o + F.registry]; it.queue = s[o + F.queue]; it.inService = s[o + F.in_service];
      it.util = this.util[id]; it.routed = s[o + F.routed]; it.completed = s[o + F.completed]; it.dropped = s[o + F.dropped];
      it.failed = s[o + F.failed]; it.weight = s[o + F.weight]; it.speed = s[o + F.speed]; it.lease = s[o + F.lease_left_s];
      it.inView = s[o + F.in_view]; it.flags = s[o + F.flags];
    }
    return it;
  }

  /** Every legacy object in drawing order, refreshed once per update (an array kept). */
  legacyAll() {
    const all = this.legacyArr ?? (this.legacyArr = []);
    if (this.legacyArrGen !== this.gen) {
      this.legacyArrGen = this.gen;
      all.length = this.n;
      for (let i = 0; i < this.n; i++) all[i] = this.legacyItem(this.orderBuf[i]);
    }
    return all;
  }
}

class LegacyItem {
  constructor(id) {
    this.id = id; this.gen = -1;
    // doubles from the start, so that V8 keeps one field layout for all of them
    this.life = 0.5; this.reg = 0.5; this.queue = 0.5; this.inService = 0.5; this.util = 0.5; this.routed = 0.5;
    this.completed = 0.5; this.dropped = 0.5; this.failed = 0.5; this.weight = 0.5; this.speed = 0.5; this.lease = 0.5;
    this.inView = 0.5; this.flags = 0.5;
  }
}

/** What the old panels use of a Map: has, get, size, values/keys/entries, iteration. */
class LegacyItems {
  constructor(view) { this.v = view; }
  get size() { return this.v.n; }
  has(id) { const v = this.v; return id >= 0 && id < v.cap && v.rowOf[id] >= 0 && v.rowOf[id] < v.n; }
  get(id) { return this.has(id) ? this.v.legacyItem(id) : undefined; }
  keys() { return this.v.order.values(); }
  values() { return this.v.legacyAll().values(); }
  * entries() { const v = this.v; for (let i = 0; i < v.n; i++) { const id = v.orderBuf[i]; yield [id, v.legacyItem(id)]; } }
  [Symbol.iterator]() { return this.entries(); }
  forEach(f) { for (const [id, it] of this.entries()) f(it, id, this); }
  clear() { this.v.reset(); }
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
