// Key ownership for the hash balancers: keys 1..1000 as a grid of small cells, each coloured by
// the instance that owns it now (sim.key_owners), and under it one stacked bar of each
// instance's share of the keys. When the instance set changes, the keys that moved tween to
// their new owner's colour over about a second (with a white flash), the share bar slides to
// the new split, and the text compares the measured moved fraction with the least a consistent
// hash must move and with naive `hash mod N` (both from the core: moved_fractions).
import { h, text } from './dom.js';
import { t, fmt, nameOf } from './i18n.js';
import { fleetlab } from './core.js';

/** Stable colour of an instance id (golden-angle hues), as [r, g, b]. */
export function instanceRgb(id) {
  if (id < 0) return [60, 70, 84];
  const hue = ((id * 137.508) % 360) / 360;
  const s = 0.62, l = id % 2 ? 0.6 : 0.5;
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;
  const f = (x) => {
    x = (x + 1) % 1;
    const v = x < 1 / 6 ? p + (q - p) * 6 * x : x < 1 / 2 ? q : x < 2 / 3 ? p + (q - p) * (2 / 3 - x) * 6 : p;
    return Math.round(v * 255);
  };
  return [f(hue + 1 / 3), f(hue), f(hue - 1 / 3)];
}

const KEYS = 1000;
const COLS = 40;
const TWEEN_S = 1.1; // colour tween of the keys that moved
const SHOW_S = 3.5; // how long the unmoved keys stay dimmed so the moved ones stand out

export class KeyView {
  constructor() {
    this.canvas = h('canvas', { role: 'img', 'aria-labelledby': 'h-keys', 'aria-describedby': 'key-moved' });
    this.text = h('p', { class: 'key-moved', id: 'key-moved', role: 'status' });
    this.container = h('div', { class: 'key-view', id: 'key-view', 'data-show': 'keys', hidden: true },
      h('h3', { id: 'h-keys' }, t('keys.title', { n: fmt.int(KEYS) })), this.canvas, this.text, h('p', { class: 'help' }, t('keys.help')));
    this.el = this.container;
    const canvas = this.canvas;
    this.ctx = canvas.getContext('2d');
    this.owners = null; // Int32Array, current target
    this.from = new Float32Array(KEYS * 3); // colours at tween start
    this.to = new Float32Array(KEYS * 3);
    this.moved = new Uint8Array(KEYS);
    this.shareFrom = new Map();
    this.shareTo = new Map();
    this.t = 1; // tween progress 0..1
    this.since = Infinity; // seconds since the last change
    this.raf = 0;
    this.inView = 0;
    this.algorithm = '';
    this.reducedMotion = matchMedia('(prefers-reduced-motion: reduce)').matches;
    new ResizeObserver(() => this.resize()).observe(canvas);
  }

  resize() {
    const w = Math.max(120, this.canvas.clientWidth);
    this.cell = w / COLS;
    this.gridH = Math.ceil(KEYS / COLS) * this.cell;
    this.H = this.gridH + 34;
    this.W = w;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.height = `${this.H}px`;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(this.H * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.draw();
  }

  /** Forget the last picture (new run, or switching algorithm): the next refresh paints without a tween. */
  reset() {
    this.owners = null;
    this.text.textContent = '';
    this.text.dataset.moved = '';
  }

  show(on) {
    this.container.hidden = !on;
    if (!on) this.reset();
  }

  /**
   * Reads the owners of keys 1..1000; on a change, animates it and words the moved fraction.
   * @param {import('./pkg/fleetlab.js').Simulation} sim
   * @param {object} d  sim.details()
   */
  refresh(sim, d, algorithm, keys = KEYS) {
    if (this.container.hidden) return;
    const owners = sim.key_owners(KEYS);
    // keys beyond traffic.keys never arrive: they are drawn blank and left out of the shares
    const limit = Math.max(1, Math.min(KEYS, keys));
    for (let i = limit; i < KEYS; i++) owners[i] = -1;
    const first = !this.owners || algorithm !== this.algorithm || limit !== this.limit;
    this.limit = limit;
    if (!first && same(owners, this.owners)) return;
    const nOld = this.inView, nNew = d.in_view;
    // start colours: whatever is drawn now (mid-tween included)
    const k = this.ease();
    let movedHere = 0;
    for (let i = 0; i < KEYS; i++) {
      const c = i < limit ? instanceRgb(owners[i]) : [28, 39, 51];
      for (let j = 0; j < 3; j++) {
        const now = this.from[i * 3 + j] + (this.to[i * 3 + j] - this.from[i * 3 + j]) * k;
        this.from[i * 3 + j] = first ? c[j] : now;
        this.to[i * 3 + j] = c[j];
      }
      this.moved[i] = !first && owners[i] !== this.owners[i] ? 1 : 0;
      movedHere += this.moved[i];
    }
    const shares = shareOf(owners.subarray(0, limit));
    this.shareFrom = first ? shares : this.currentShares();
    this.shareTo = shares;
    this.owners = owners;
    this.algorithm = algorithm;
    this.inView = nNew;
    if (first) {
      this.t = 1;
      this.since = Infinity;
      text(this.text, t('keys.first', { n: fmt.int(nNew) }));
      this.text.dataset.moved = '';
      this.draw();
      return;
    }
    this.t = this.reducedMotion ? 1 : 0;
    this.since = 0;
    this.words(d.moved_fraction, nOld, nNew, movedHere, algorithm);
    this.animate();
  }

  words(fraction, nOld, nNew, movedHere, algorithm) {
    // the simulator measures the moved fraction when the balancer's set of instances changes;
    // a weight change keeps the set, so then the 1,000 keys shown are the measurement
    const setChanged = nOld !== nNew && fraction != null;
    const f = setChanged ? fraction : movedHere / this.limit;
    this.text.dataset.moved = String(f);
    const p = { algorithm: nameOf('balancer.algorithm', algorithm), moved: fmt.pct1(f), from: fmt.int(nOld), to: fmt.int(nNew), here: fmt.int(movedHere), shown: fmt.int(this.limit) };
    let s = setChanged ? t('keys.moved_set', p) : t('keys.moved_map', p);
    if (setChanged && nOld > 0 && nNew > 0) {
      const m = fleetlab.moved_fractions(nOld, nNew);
      s = t.sentences(s, t('keys.compare', { least: fmt.pct1(m.consistent), mod_n: fmt.pct1(m.mod_n) }));
    }
    text(this.text, t.sentences(s, t('keys.shown', p)));
  }

  ease() {
    const t = Math.max(0, Math.min(1, this.t));
    return t * t * (3 - 2 * t);
  }

  currentShares() {
    const k = this.ease();
    const out = new Map();
    for (const id of new Set([...this.shareFrom.keys(), ...this.shareTo.keys()])) {
      out.set(id, (this.shareFrom.get(id) ?? 0) + ((this.shareTo.get(id) ?? 0) - (this.shareFrom.get(id) ?? 0)) * k);
    }
    return out;
  }

  animate() {
    if (this.raf) return;
    let last = performance.now();
    const step = (now) => {
      const dt = (now - last) / 1000;
      this.t = Math.min(1, this.t + dt / TWEEN_S);
      this.since += dt;
      last = now;
      this.draw();
      this.raf = this.since < SHOW_S ? requestAnimationFrame(step) : 0;
    };
    this.raf = requestAnimationFrame(step);
  }

  draw() {
    const { ctx, cell } = this;
    if (!cell) return;
    ctx.clearRect(0, 0, this.W, this.H);
    ctx.fillStyle = '#101a26';
    ctx.fillRect(0, 0, this.W, this.gridH);
    if (!this.owners) return;
    const k = this.ease();
    const flash = this.t < 1 ? Math.sin(Math.PI * Math.min(1, this.t * 1.4)) : 0;
    // unmoved keys dim for a few seconds after a change, so the moved ones stand out
    const dim = this.since < SHOW_S - 1 ? Math.min(1, this.since / 0.3) : Math.max(0, SHOW_S - this.since);
    const gap = cell > 5 ? 1 : 0;
    for (let i = 0; i < KEYS; i++) {
      const x = (i % COLS) * cell, y = Math.floor(i / COLS) * cell;
      const c = [0, 1, 2].map((j) => Math.round(this.from[i * 3 + j] + (this.to[i * 3 + j] - this.from[i * 3 + j]) * k));
      ctx.fillStyle = `rgba(${c[0]},${c[1]},${c[2]},${this.moved[i] ? 1 : 1 - 0.75 * dim})`;
      let s = cell - gap, off = 0;
      if (this.moved[i] && flash > 0) { s = (cell - gap) * (1 - 0.35 * flash); off = ((cell - gap) - s) / 2; }
      ctx.fillRect(x + off, y + off, s, s);
      if (this.moved[i] && (flash > 0 || dim > 0)) {
        ctx.strokeStyle = `rgba(255,255,255,${Math.max(0.9 * flash, 0.8 * dim)})`;
        ctx.lineWidth = 1;
        ctx.strokeRect(x + 0.5, y + 0.5, cell - gap - 1, cell - gap - 1);
      }
    }
    // share bar: each instance's fraction of the keys, tweening
    const y0 = this.gridH + 6, h = 12;
    const shares = this.currentShares();
    const ids = [...shares.keys()].sort((a, b) => a - b);
    let x = 0;
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    for (const id of ids) {
      const w = shares.get(id) * this.W;
      if (w <= 0.2) continue;
      ctx.fillStyle = `rgb(${instanceRgb(id).join(',')})`;
      ctx.fillRect(x, y0, w - (w > 3 ? 1 : 0), h);
      if (w > 22 && id >= 0) {
        ctx.fillStyle = '#fff';
        ctx.fillText(`#${id}`, x + 2, y0 + 1);
      }
      x += w;
    }
    ctx.fillStyle = '#4a5562';
    ctx.fillText(t('keys.share'), 0, y0 + h + 2);
  }
}

function same(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function shareOf(owners) {
  const m = new Map();
  for (const o of owners) m.set(o, (m.get(o) ?? 0) + 1);
  for (const [k, v] of m) m.set(k, v / owners.length);
  return m;
}

