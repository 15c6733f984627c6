// Two to four balancers on the same scenario, side by side. Extra simulations start from the
// settings in force (same N, L, C, seed, weights; only the balancer differs) and run for a
// fixed simulated time. Arrivals come from their own seeded stream, so every run sees
// identical requests. One table holds each run's numbers (for model servers also time to first
// token, time per output token, tokens/s and the share of prompt tokens found in cache); the
// verdict is the core's rule (compare_ranking: loss, p99 and mean, and TTFT for model servers,
// with margins) worded here. Results are marked stale as soon as the scenario they were run on
// changes.
import { h, fill, text } from './dom.js';
import { t, fmt, nameOf, field } from './i18n.js';
import { fleetlab, row } from './core.js';
import { errorText } from './errors.js';
import { KEYED } from './relevance.js';
import { SideBySide, showStale } from './side-by-side.js';

/** Request keys given to every run when a hash balancer is compared on a run without keys. */
const KEYS = 1000;
export const DURATIONS = [60, 300, 1200];
const TAGS = ['a', 'b', 'c', 'd'];
/** The first two balancers are always compared; the last two are optional. */
const REQUIRED = 2;

/** A table column: its catalog key, the summary's value and how it is written. */
const col = (key, value, show) => ({ key, value, show });
/** A latency figure, or null (written —) when the run measured none: the core's zeros then. */
const latency = (m) => (s) => (s.latency_measured === 0 ? null : s.latency_s[m]);
const ttft = (m) => (s) => (s.ttft_measured === 0 ? null : s.ttft_s[m]);
const LATENCY = ['mean', 'p50', 'p95', 'p99', 'max'].map((m) => col(`cmp.m.${m}`, latency(m), fmt.ms));
const COUNTS = [
  col('cmp.col.completed', (s) => s.requests.completed, fmt.int),
  col('cmp.col.dropped', (s) => s.requests.dropped, fmt.int),
  col('cmp.col.failed', (s) => s.requests.failed, fmt.int),
];
/** Model servers: latency mean and p99, then what a user of a model feels, then the counts. */
const SERVING = [
  LATENCY[0], LATENCY[3],
  col('cmp.m.ttft_mean', ttft('mean'), fmt.ms),
  col('cmp.m.ttft_p99', ttft('p99'), fmt.ms),
  col('cmp.m.tpot_mean', (s) => s.tpot_s.mean, fmt.ms),
  col('cmp.m.tokens', (s) => s.serving.output_tokens_per_s, fmt.num),
  col('cmp.m.cached', (s) => s.serving.cached_prompt_share, fmt.pct1),
];
/** Which columns show each measure the core ranks on. */
const MEASURE_COLUMNS = {
  lost: ['cmp.col.dropped', 'cmp.col.failed'],
  p99: ['cmp.m.p99'],
  mean: ['cmp.m.mean'],
  ttft_mean: ['cmp.m.ttft_mean'],
  ttft_p99: ['cmp.m.ttft_p99'],
};
/** Each ranked measure's value in a summary, for the verdict's bars (lost: a count). */
const MEASURE_VALUE = {
  lost: (s) => s.requests.dropped + s.requests.failed,
  p99: latency('p99'),
  mean: latency('mean'),
  ttft_mean: ttft('mean'),
  ttft_p99: ttft('p99'),
};

const isModelServer = (s) => Boolean(s.ttft_s && s.tpot_s && s.serving);

export class Compare {
  /**
   * @param {object} o
   * @param {() => any} o.sim
   * @param {() => void} o.changed  the choices changed (URL)
   */
  constructor(o) {
    this.o = o;
    this.result = null; // {algos, dur, summaries, ranking, key, needKeys}
    const algos = row('balancer.algorithm').names;
    const changed = () => { this.syncOptional(); this.o.changed(); this.markStale(); };
    this.selects = TAGS.map((tag, i) => h('select', { id: `cmp-${tag}`, onchange: changed },
      i >= REQUIRED ? h('option', { value: '' }, t('cmp.none')) : null,
      algos.map((a) => h('option', { value: a }, nameOf('balancer.algorithm', a)))));
    const [selA, selB] = this.selects;
    selA.value = algos[0];
    selB.value = algos[3] ?? algos[1];
    this.selDur = h('select', { id: 'cmp-dur', onchange: () => this.o.changed() },
      DURATIONS.map((d) => h('option', { value: d }, fmt.s(d))));
    this.selDur.value = '300';
    this.syncOptional();
    this.runner = new SideBySide({ id: 'cmp-run', runLabel: t('cmp.run'), progressLabel: t('cmp.progress'), onRun: () => this.run() });
    this.err = h('p', { class: 'err', role: 'alert' });
    this.results = h('div', { class: 'cmp-results', hidden: true });
    this.el = h('section', { class: 'card compare', id: 'compare', 'data-show': 'compare', 'aria-labelledby': 'h-compare' },
      h('h2', { id: 'h-compare' }, t('cmp.title')),
      h('p', { class: 'help' }, t('cmp.intro')),
      h('div', { class: 'cmp-form' },
        this.selects.map((sel, i) => h('span', { class: 'cmp-pick' }, h('label', { for: sel.id }, t(`cmp.${TAGS[i]}`)), sel)),
        h('span', { class: 'cmp-pick' }, h('label', { for: 'cmp-dur' }, t('cmp.duration')), this.selDur),
        this.runner.btn, this.runner.progress, this.runner.status),
      this.err, this.results);
  }

  /** The balancers chosen, in order: A, B, then C and D when set (D counts only after C). */
  chosen() {
    const out = [];
    for (const s of this.selects) {
      if (!s.value) break;
      out.push(s.value);
    }
    return out;
  }

  /** D is offered once C is chosen, so a result's tags always match the boxes. */
  syncOptional() {
    for (let i = REQUIRED + 1; i < this.selects.length; i++) {
      const off = !this.selects[i - 1].value || this.selects[i - 1].disabled;
      this.selects[i].disabled = off;
      if (off) this.selects[i].value = '';
    }
  }

  /** "a,b[,c[,d]],seconds" for the URL, and back (the two-balancer form of older links too). */
  get choice() {
    return [...this.chosen(), this.selDur.value].join();
  }

  setChoice(s) {
    const parts = String(s ?? '').split(',');
    const last = parts[parts.length - 1];
    const hasDur = parts.length > 1 && last !== '' && Number.isFinite(Number(last));
    const picks = hasDur ? parts.slice(0, -1) : parts;
    const names = row('balancer.algorithm').names;
    this.selects.forEach((sel, i) => {
      if (names.includes(picks[i])) sel.value = picks[i];
      else if (i >= REQUIRED) sel.value = '';
    });
    if (hasDur && DURATIONS.includes(Number(last))) this.selDur.value = last;
    this.syncOptional();
  }

  /** Settings key of the scenario a result was run on. */
  key() {
    const sc = this.o.sim().scenario();
    return JSON.stringify({ ...sc, balancer: { ...sc.balancer, algorithm: null } });
  }

  cancel(msg = '') { this.runner.cancel(msg); }

  clear() {
    this.runner.clear();
    this.result = null;
    this.results.hidden = true;
    text(this.err, '');
  }

  run() {
    const base = this.o.sim().scenario();
    const dur = Number(this.selDur.value);
    const algos = this.chosen();
    // keyed balancers need request keys; every run gets the same keys so the streams stay identical
    const needKeys = algos.some((a) => KEYED.includes(a)) && !(base.traffic.keys > 0);
    const sims = [];
    try {
      for (const algorithm of algos) {
        const sc = structuredClone(base);
        // the chosen time is measured: the scenario's warm-up (not measured) comes first
        sc.duration_s = sc.warmup_s + dur;
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
    const key = this.key();
    const warm = base.warmup_s;
    const words = { s: fmt.s(dur), n: fmt.int(algos.length), w: fmt.s(warm) };
    this.runner.start(sims, warm + dur, {
      running: t(warm > 0 ? 'cmp.running_warm' : 'cmp.running', words),
      done: (summaries, took) => {
        this.result = { algos, dur, summaries, ranking: fleetlab.compare_ranking(summaries), key, needKeys };
        this.render();
        return t(warm > 0 ? 'cmp.done_warm' : 'cmp.done', { ...words, took: fmt.s(took) });
      },
    });
  }

  /** Marks the result stale when the scenario (or the choice) no longer matches it. */
  markStale() {
    if (!this.result) return;
    showStale(this.results, this.staleNote, this.result.key !== this.key() || this.result.algos.join() !== this.chosen().join());
  }

  render() {
    const r = this.result;
    if (!r) { this.results.hidden = true; return; }
    const name = (x) => nameOf('balancer.algorithm', x);
    this.staleNote = h('p', { class: 'stale', role: 'status', hidden: true }, t('cmp.stale'));
    fill(this.results,
      this.staleNote,
      this.table(r, name),
      h('div', { class: 'cmp-verdict' }, h('h3', null, t('cmp.verdict')), this.bars(r),
        h('p', { class: 'explain', id: 'cmp-sentence' }, this.sentence(r, name))),
      h('div', { class: 'cmp-cols' }, r.algos.map((a, i) => this.instanceBars(TAGS[i], name(a), r.summaries[i].per_instance))),
      r.needKeys ? h('p', { class: 'help' }, t('cmp.keys_added', { n: fmt.int(KEYS), keys: field('traffic.keys').label })) : null);
    this.results.hidden = false;
    this.results.dataset.stale = 'false';
    this.markStale();
  }

  /** One row per run; the cells of a measure the core ranked a run among the best on are marked. */
  table(r, name) {
    const cols = r.summaries.every(isModelServer) ? [...SERVING, ...COUNTS] : [...LATENCY, ...COUNTS];
    const leads = (i, key) => r.ranking.measures.some((m) => !m.even && m.leaders.includes(i) && MEASURE_COLUMNS[m.measure]?.includes(key));
    const head = h('tr', null, h('th', { scope: 'col' }, t('cmp.col.balancer')), cols.map((c) => h('th', { scope: 'col' }, t(c.key))));
    const body = r.algos.map((a, i) => {
      const s = r.summaries[i];
      return h('tr', { 'data-algorithm': a, class: r.ranking.winners.includes(i) && r.ranking.outcome !== 'even' ? 'win' : '' },
        h('th', { scope: 'row' }, h('span', { class: `cmp-tag cmp-${TAGS[i]}` }, TAGS[i].toUpperCase()), ' ', name(a)),
        cols.map((c) => {
          const v = c.value(s);
          const lead = leads(i, c.key);
          return h('td', { 'data-metric': c.key.replace(/^cmp\.(m|col)\./, ''), 'data-value': v, class: lead ? 'lead' : '' },
            c.show(v), lead ? h('span', { class: 'vh' }, ` (${t('cmp.among_best')})`) : null);
        }));
    });
    const caption = t('cmp.table_caption', { n: fmt.int(r.algos.length) });
    // a region the keyboard can reach, so its sideways scroll is not for mice only
    return h('div', { class: 'table-scroll cmp-scroll', tabindex: 0, role: 'region', 'aria-label': caption },
      h('table', { class: 'cmp-table' }, h('caption', null, caption),
        h('thead', null, head), h('tbody', null, body)));
  }

  /** The measures the core ranked on, one bar per run; its leaders stand out. */
  bars(r) {
    return h('div', { class: 'cmp-bars' }, r.ranking.measures.map((m) => {
      const values = r.summaries.map(MEASURE_VALUE[m.measure]);
      const top = Math.max(0, ...values.filter(Number.isFinite)) || 1;
      const show = m.measure === 'lost' ? fmt.int : fmt.ms;
      return h('div', { class: 'cmp-row', 'data-measure': m.measure }, h('span', { class: 'cmp-metric' }, t(`cmp.measure.${m.measure}`)),
        h('div', { class: 'cmp-pair' }, values.map((v, i) => h('div', { class: `cmp-line${!m.even && m.leaders.includes(i) ? ' lead' : ''}` },
          h('span', { class: 'cmp-track' }, h('span', { class: `cmp-bar cmp-${TAGS[i]}`, style: { width: `${Number.isFinite(v) ? Math.max(0.5, (v / top) * 100) : 0}%` } })),
          h('span', { class: 'cmp-val' }, `${TAGS[i].toUpperCase()} ${show(v)}`)))));
    }));
  }

  sentence(r, name) {
    const { summaries, algos, ranking } = r;
    const n = summaries[0].requests.arrived;
    const same = summaries.every((s) => s.requests.arrived === n);
    const two = algos.length === 2;
    const head = same
      ? (two ? t('cmp.same_requests', { n: fmt.int(n) }) : t('cmp.same_requests_n', { count: fmt.int(algos.length), n: fmt.int(n) }))
      : t('cmp.diff_requests_n', { list: fmt.list(summaries.map((s) => fmt.int(s.requests.arrived))) });
    if (algos.every((a) => a === algos[0])) return t.sentences(head, t('cmp.same_balancer'));
    const who = (ix) => fmt.list(ix.map((i) => `${TAGS[i].toUpperCase()} ${name(algos[i])}`));
    const others = (ix) => algos.map((_, i) => i).filter((i) => !ix.includes(i));
    const measures = fmt.list(ranking.measures.map((m) => t(`cmp.measure.${m.measure}`)));
    let verdict;
    switch (ranking.outcome) {
      case 'winner':
        verdict = two
          ? t('cmp.wins', { winner: name(algos[ranking.winners[0]]), loser: name(algos[others(ranking.winners)[0]]), measures })
          : t('cmp.wins_n', { winner: who(ranking.winners), others: who(others(ranking.winners)), measures });
        break;
      case 'tie':
        verdict = t('cmp.tie', { list: who(ranking.winners), others: who(others(ranking.winners)), measures });
        break;
      case 'trade_off':
        verdict = t('cmp.trade_off', { list: fmt.list(ranking.measures.filter((m) => !m.even).map((m) => t(`cmp.lead.${m.measure}`, { who: who(m.leaders) }))) });
        break;
      default:
        verdict = two ? t('cmp.even') : t('cmp.even_n', { n: fmt.int(algos.length) });
    }
    if (!two) return t.sentences(head, verdict);
    // two runs: the figures the verdict weighed, side by side
    const [sa, sb] = summaries;
    const lost = (s) => fmt.pct1((s.requests.dropped + s.requests.failed) / Math.max(1, s.requests.arrived));
    return t.sentences(head, verdict, t('cmp.facts', {
      ma: fmt.ms(sa.latency_s.mean), mb: fmt.ms(sb.latency_s.mean), pa: fmt.ms(sa.latency_s.p99), pb: fmt.ms(sb.latency_s.p99), la: lost(sa), lb: lost(sb),
    }));
  }

  /** Per-instance utilisation of one run as small bars. */
  instanceBars(tag, title, per) {
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
    return h('figure', { class: 'cmp-inst', 'data-algorithm': title },
      h('figcaption', null, h('span', { class: `cmp-tag cmp-${tag}` }, tag.toUpperCase()), ' ', t('cmp.util_caption', { algorithm: title })), svg,
      h('p', { class: 'cmp-counts' }, t('cmp.util_range', { min: fmt.pct(min), max: fmt.pct(max) })));
  }
}
