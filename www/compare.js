// Two balancers on the same scenario, side by side. Two extra simulations start from the
// settings in force (same N, L, C, seed, weights; only the balancer differs) and run for a fixed
// simulated time, a few milliseconds per frame so the page stays live. Arrivals come from
// their own seeded stream, so both runs see identical requests. The verdict is the core's rule
// (compare_verdict: loss, p99 and mean, with margins) worded here; results are marked stale as
// soon as the scenario they were run on changes.
import { h, fill, text } from './dom.js';
import { t, fmt, nameOf, field } from './i18n.js';
import { fleetlab, row } from './core.js';
import { errorText } from './errors.js';
import { KEYED } from './relevance.js';

const FRAME_MS = 12;
/** Request keys given to both runs when a hash balancer is compared on a run without keys. */
const KEYS = 1000;
export const DURATIONS = [60, 300, 1200];
const METRICS = ['mean', 'p50', 'p95', 'p99', 'max'];

export class Compare {
  /**
   * @param {object} o
   * @param {() => any} o.sim
   * @param {() => void} o.changed  the choices changed (URL)
   */
  constructor(o) {
    this.o = o;
    this.job = null;
    this.result = null; // {algos, dur, summaries, verdict, key}
    const algos = row('balancer.algorithm').names;
    const select = (id, label) => {
      const sel = h('select', { id, onchange: () => { this.o.changed(); this.markStale(); } },
        algos.map((a) => h('option', { value: a }, nameOf('balancer.algorithm', a))));
      return [h('label', { for: id }, label), sel];
    };
    const [la, selA] = select('cmp-a', t('cmp.a'));
    const [lb, selB] = select('cmp-b', t('cmp.b'));
    this.selA = selA;
    this.selB = selB;
    this.selA.value = algos[0];
    this.selB.value = algos[3] ?? algos[1];
    this.selDur = h('select', { id: 'cmp-dur', onchange: () => this.o.changed() },
      DURATIONS.map((d) => h('option', { value: d }, fmt.s(d))));
    this.selDur.value = '300';
    this.btn = h('button', { type: 'button', class: 'primary', id: 'cmp-run', onclick: () => (this.job ? this.cancel(t('cmp.stopped')) : this.run()) }, t('cmp.run'));
    this.progress = h('progress', { max: 1, value: 0, 'aria-label': t('cmp.progress'), hidden: true });
    this.status = h('span', { class: 'cmp-status', role: 'status' });
    this.err = h('p', { class: 'err', role: 'alert' });
    this.results = h('div', { class: 'cmp-results', hidden: true });
    this.el = h('section', { class: 'card compare', id: 'compare', 'data-show': 'compare', 'aria-labelledby': 'h-compare' },
      h('h2', { id: 'h-compare' }, t('cmp.title')),
      h('p', { class: 'help' }, t('cmp.intro')),
      h('div', { class: 'cmp-form' }, la, this.selA, lb, this.selB, h('label', { for: 'cmp-dur' }, t('cmp.duration')), this.selDur, this.btn, this.progress, this.status),
      this.err, this.results);
  }

  /** "a,b,seconds" for the URL, and back. */
  get choice() {
    return `${this.selA.value},${this.selB.value},${this.selDur.value}`;
  }

  setChoice(s) {
    const [a, b, d] = String(s ?? '').split(',');
    const names = row('balancer.algorithm').names;
    if (names.includes(a)) this.selA.value = a;
    if (names.includes(b)) this.selB.value = b;
    if (DURATIONS.includes(Number(d))) this.selDur.value = d;
  }

  /** Settings key of the scenario a result was run on. */
  key() {
    const sc = this.o.sim().scenario();
    return JSON.stringify({ ...sc, balancer: { ...sc.balancer, algorithm: null } });
  }

  cancel(msg = '') {
    if (!this.job) return;
    this.job.cancelled = true;
    for (const s of this.job.sims) s.free();
    this.job = null;
    this.idle(msg);
  }

  clear() {
    this.cancel();
    this.result = null;
    this.results.hidden = true;
    text(this.status, '');
    text(this.err, '');
  }

  idle(msg) {
    text(this.btn, t('cmp.run'));
    this.progress.hidden = true;
    text(this.status, msg);
  }

  run() {
    const base = this.o.sim().scenario();
    const dur = Number(this.selDur.value);
    const algos = [this.selA.value, this.selB.value];
    // keyed balancers need request keys; both runs get the same keys so the streams stay identical
    const needKeys = algos.some((a) => KEYED.includes(a)) && !(base.traffic.keys > 0);
    const sims = [];
    try {
      for (const algorithm of algos) {
        const sc = structuredClone(base);
        sc.duration_s = Math.max(dur, sc.warmup_s + 1);
        if (needKeys) sc.traffic.keys = KEYS;
        sc.balancer = { ...sc.balancer, algorithm };
        sims.push(new fleetlab.Simulation(sc));
      }
    } catch (e) {
      for (const s of sims) s.free();
      text(this.err, errorText(e));
      return;
    }
    text(this.err, '');
    const job = { sims, dur, algos, needKeys, key: this.key(), cancelled: false, t0: performance.now() };
    this.job = job;
    text(this.btn, t('cmp.stop'));
    this.progress.hidden = false;
    this.progress.value = 0;
    text(this.status, t('cmp.running', { s: fmt.s(dur) }));
    const step = () => {
      if (job.cancelled) return;
      const t0 = performance.now();
      while (performance.now() - t0 < FRAME_MS) {
        const s = sims.find((x) => x.now_s < dur - 1e-9);
        if (!s) break;
        s.advance_budget(dur - s.now_s, 40000);
      }
      this.progress.value = sims.reduce((acc, s) => acc + Math.min(dur, s.now_s), 0) / (2 * dur);
      if (sims.every((s) => s.now_s >= dur - 1e-9)) this.finish(job);
      else requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  finish(job) {
    const summaries = job.sims.map((s) => s.summary());
    for (const s of job.sims) s.free();
    this.job = null;
    this.idle(t('cmp.done', { s: fmt.s(job.dur), took: fmt.s((performance.now() - job.t0) / 1000) }));
    this.result = { algos: job.algos, dur: job.dur, summaries, verdict: fleetlab.compare_verdict(summaries[0], summaries[1]), key: job.key, needKeys: job.needKeys };
    this.render();
  }

  /** Marks the result stale when the scenario (or the choice) no longer matches it. */
  markStale() {
    if (!this.result) return;
    const stale = this.result.key !== this.key() || this.result.algos[0] !== this.selA.value || this.result.algos[1] !== this.selB.value;
    if (String(stale) !== this.results.dataset.stale) {
      this.results.dataset.stale = String(stale);
      this.staleNote.hidden = !stale;
    }
  }

  render() {
    const r = this.result;
    if (!r) { this.results.hidden = true; return; }
    const [a, b] = r.algos;
    const [sa, sb] = r.summaries;
    const name = (x) => nameOf('balancer.algorithm', x);
    this.staleNote = h('p', { class: 'stale', role: 'status', hidden: true }, t('cmp.stale'));
    const col = (tag, algo, s) => h('div', { class: 'cmp-col', 'data-algorithm': algo, 'data-mean-s': s.latency_s.mean, 'data-p99-s': s.latency_s.p99 },
      h('h3', null, h('span', { class: `cmp-tag cmp-${tag}` }, tag.toUpperCase()), ' ', name(algo)),
      h('table', { class: 'cmp-table' },
        h('caption', { class: 'vh' }, t('cmp.table_caption', { run: tag.toUpperCase(), algorithm: name(algo) })),
        h('tbody', null, METRICS.map((m) => h('tr', null, h('th', { scope: 'row' }, t(`cmp.m.${m}`)), h('td', { 'data-metric': m }, fmt.ms(s.latency_s[m])))))),
      h('p', { class: `cmp-counts${s.requests.dropped + s.requests.failed > 0 ? ' bad' : ''}` },
        t('cmp.counts', { completed: fmt.int(s.requests.completed), dropped: fmt.int(s.requests.dropped), failed: fmt.int(s.requests.failed) })),
      this.instanceBars(s.per_instance));
    const bars = h('div', { class: 'cmp-bars' }, ['mean', 'p99'].map((m) => {
      const va = sa.latency_s[m], vb = sb.latency_s[m], top = Math.max(va, vb) || 1;
      return h('div', { class: 'cmp-row' }, h('span', { class: 'cmp-metric' }, t(`cmp.m.${m}`)),
        h('div', { class: 'cmp-pair' }, [['a', va], ['b', vb]].map(([tag, v]) => h('div', { class: 'cmp-line' },
          h('span', { class: 'cmp-track' }, h('span', { class: `cmp-bar cmp-${tag}`, style: { width: `${Math.max(0.5, (v / top) * 100)}%` } })),
          h('span', { class: 'cmp-val' }, `${tag.toUpperCase()} ${fmt.ms(v)}`)))));
    }));
    fill(this.results,
      this.staleNote,
      h('div', { class: 'cmp-cols' }, col('a', a, sa), col('b', b, sb)),
      h('div', { class: 'cmp-verdict' }, h('h3', null, t('cmp.verdict')), bars,
        h('p', { class: 'explain', id: 'cmp-sentence' }, this.sentence(r, name))),
      r.needKeys ? h('p', { class: 'help' }, t('cmp.keys_added', { n: fmt.int(KEYS), keys: field('traffic.keys').label })) : null);
    this.results.hidden = false;
    this.results.dataset.stale = 'false';
    this.markStale();
  }

  sentence(r, name) {
    const [a, b] = r.algos;
    const [sa, sb] = r.summaries;
    const v = r.verdict;
    const same = sa.requests.arrived === sb.requests.arrived;
    const head = same ? t('cmp.same_requests', { n: fmt.int(sa.requests.arrived) }) : t('cmp.diff_requests', { a: fmt.int(sa.requests.arrived), b: fmt.int(sb.requests.arrived) });
    if (a === b) return t.sentences(head, t('cmp.same_balancer'));
    const who = (x) => (x === 'a' ? name(a) : x === 'b' ? name(b) : null);
    const lost = (s) => fmt.pct1((s.requests.dropped + s.requests.failed) / Math.max(1, s.requests.arrived));
    const facts = t('cmp.facts', {
      ma: fmt.ms(sa.latency_s.mean), mb: fmt.ms(sb.latency_s.mean), pa: fmt.ms(sa.latency_s.p99), pb: fmt.ms(sb.latency_s.p99), la: lost(sa), lb: lost(sb),
    });
    if (v.winner !== 'even') return t.sentences(head, t('cmp.wins', { winner: who(v.winner), loser: who(v.winner === 'a' ? 'b' : 'a') }), facts);
    if (v.trade_off) {
      const better = ['lost', 'p99', 'mean'].filter((m) => v[m] !== 'even').map((m) => t(`cmp.better.${m}`, { who: who(v[m]) }));
      return t.sentences(head, t('cmp.trade_off', { list: fmt.list(better) }), facts);
    }
    return t.sentences(head, t('cmp.even'), facts);
  }

  /** Per-instance utilisation as small bars. */
  instanceBars(per) {
    const n = per.length;
    const W = 300, H = 60;
    const bw = W / Math.max(1, n);
    const utils = per.map((p) => p.utilization);
    const max = Math.max(0, ...utils), min = Math.min(1, ...utils);
    const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('cmp.util_label', { n: fmt.int(n), min: fmt.pct(min), max: fmt.pct(max) }) },
      per.map((p, i) => {
        const u = Math.max(0, Math.min(1, p.utilization));
        return h('svg:rect', { x: i * bw + (n <= 40 ? 1 : 0), width: Math.max(0.5, bw - (n <= 40 ? 2 : 0)), y: H - u * H, height: Math.max(0.5, u * H), class: p.dropped > 0 ? 'u drop' : 'u' });
      }));
    return h('figure', { class: 'cmp-inst' }, h('figcaption', null, t('cmp.util_caption')), svg,
      h('p', { class: 'cmp-counts' }, t('cmp.util_range', { min: fmt.pct(min), max: fmt.pct(max) })));
  }
}
