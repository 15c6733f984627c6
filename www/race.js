// A race of autoscalers on one trace: two to four copies of the run on screen that differ
// only in `autoscaler.kind` run side by side on the identical request stream (the core's
// race_check refuses variants that would not see the same requests). The page shows each one's
// ready replicas over time, p99, lost requests, instance-seconds (the cost) and what cold starts
// did, and words the core's verdict (race_verdict: serve first, then be fast, then be cheap).
import { h, fill, text } from './dom.js';
import { t, fmt, nameOf, field, hasField } from './i18n.js';
import { fleetlab, row } from './core.js';
import { errorText } from './errors.js';
import { SideBySide, showStale } from './side-by-side.js';

const DURATIONS = [300, 900, 1500];
const MAX_VARIANTS = 4;
/** Simulated seconds per call: fewer than the one-second samples a simulation keeps (1,200). */
const CHUNK_S = 600;
/** The serving lesson, whose first step is the spike the race is made for. */
const SPIKE_LESSON = 'lessons/09-scaling-a-model-server.json';
const W = 600;
const H = 200;
const PAD = { l: 40, r: 8, t: 8, b: 28 };

/** Appends the simulation's ready-replica samples newer than the series' last. */
function collect(sim, series) {
  const tl = sim.timeline();
  const last = series.t.length ? series.t[series.t.length - 1] : -Infinity;
  for (let j = 0; j < tl.t_s.length; j++) {
    if (tl.t_s[j] > last) { series.t.push(tl.t_s[j]); series.y.push(tl.ready[j]); }
  }
}

export class Race {
  /**
   * @param {object} o
   * @param {() => any} o.sim       the page's simulation (its settings are the race's base)
   * @param {(scenario: object) => void} o.load  loads a scenario into the page
   */
  constructor(o) {
    this.o = o;
    this.result = null;
    /** Each autoscaler kind's settings in the serving lesson, used while its spike is on screen. */
    this.tuned = null;
    const kinds = row('autoscaler.kind').names.filter((k) => k !== 'none');
    const preferred = ['hpa', 'kpa', 'queue'];
    this.boxes = kinds.map((kind) => h('input', { type: 'checkbox', id: `race-${kind}`, value: kind, checked: preferred.includes(kind), onchange: () => this.markStale() }));
    const picks = h('fieldset', { class: 'race-kinds' }, h('legend', null, t('race.kinds')),
      this.boxes.map((b) => h('span', { class: 'check' }, b, h('label', { for: b.id }, nameOf('autoscaler.kind', b.value)))));
    this.selDur = h('select', { id: 'race-dur' }, DURATIONS.map((d) => h('option', { value: d }, fmt.s(d))));
    this.selDur.value = '1500';
    this.runner = new SideBySide({ id: 'race-run', runLabel: t('race.run'), progressLabel: t('race.progress'), onRun: () => this.run() });
    this.btnSpike = h('button', { type: 'button', id: 'race-spike', onclick: () => this.loadSpike() }, t('race.load_spike'));
    this.err = h('p', { class: 'err', role: 'alert' });
    this.results = h('div', { class: 'race-results', hidden: true });
    this.el = h('section', { class: 'card race', id: 'race', 'data-show': 'race', 'aria-labelledby': 'h-race' },
      h('h2', { id: 'h-race' }, t('race.title')),
      h('p', { class: 'help' }, t('race.intro')),
      picks,
      h('div', { class: 'cmp-form' }, h('label', { for: 'race-dur' }, t('cmp.duration')), this.selDur, this.runner.btn, this.btnSpike, this.runner.progress, this.runner.status),
      this.err, this.results);
  }

  chosen() { return this.boxes.filter((b) => b.checked).map((b) => b.value); }

  choose(kinds) { for (const b of this.boxes) b.checked = kinds.includes(b.value); }

  /**
   * The run on screen as the race's base: its starting settings with the scheduled traffic
   * changes, faults and the changes made so far, but none that touch the autoscaler (each
   * variant brings its own).
   */
  base() {
    const sc = this.o.sim().description();
    sc.edits = (sc.edits ?? []).filter((e) => !String(e.path).startsWith('autoscaler'));
    return sc;
  }

  /** Settings key of the scenario a result was run on (the autoscaler aside). */
  key() {
    return JSON.stringify({ ...this.base(), autoscaler: null });
  }

  async loadSpike() {
    try {
      const lesson = await (await fetch(SPIKE_LESSON)).json();
      this.o.load(lesson.steps[0].scenario);
      this.tuned = { key: this.key(), byKind: {} };
      for (const st of lesson.steps) {
        const a = st.scenario?.autoscaler;
        if (a && !this.tuned.byKind[a.kind]) this.tuned.byKind[a.kind] = a;
      }
      const sc = this.o.sim().description();
      const jump = sc.traffic.changes?.[0];
      text(this.err, '');
      text(this.runner.status, t('race.spike_loaded', { from: fmt.rps(sc.traffic.rate_rps), to: fmt.rps(jump?.rate_rps), at: fmt.s(jump?.at_s), startup: fmt.s(sc.instances.startup_s) }));
    } catch (e) {
      text(this.err, errorText(e));
    }
  }

  cancel(msg = '') { this.runner.cancel(msg); }

  clear() {
    this.runner.clear();
    this.result = null;
    this.results.hidden = true;
    text(this.err, '');
  }

  /**
   * Each chosen autoscaler's settings and where they come from: the one in force as it is, the
   * serving lesson's settings while its spike is on screen, otherwise the core's defaults.
   */
  settings(kinds) {
    const base = this.base();
    const lesson = this.tuned && this.tuned.key === this.key() ? this.tuned.byKind : {};
    return kinds.map((kind) => {
      if (base.autoscaler.kind === kind) return { source: 'in_force', autoscaler: base.autoscaler };
      if (lesson[kind]) return { source: 'lesson', autoscaler: lesson[kind] };
      return { source: 'defaults', autoscaler: { kind } };
    });
  }

  /** The variants: the run on screen with each chosen autoscaler. */
  variants(settings, dur) {
    const base = this.base();
    return settings.map(({ autoscaler }) => {
      const sc = structuredClone(base);
      sc.duration_s = Math.max(dur, sc.warmup_s + 1);
      sc.autoscaler = structuredClone(autoscaler);
      return sc;
    });
  }

  run() {
    const kinds = this.chosen();
    if (kinds.length < 2 || kinds.length > MAX_VARIANTS) {
      text(this.err, t('race.choose', { min: fmt.int(2), max: fmt.int(MAX_VARIANTS) }));
      return;
    }
    const dur = Number(this.selDur.value);
    const sims = [];
    const settings = this.settings(kinds);
    try {
      const checked = fleetlab.race_check(this.variants(settings, dur));
      for (const sc of checked) sims.push(new fleetlab.Simulation(sc));
    } catch (e) {
      for (const s of sims) s.free();
      text(this.err, errorText(e));
      return;
    }
    text(this.err, '');
    const job = { kinds, dur, key: this.key(), settings, series: sims.map(() => ({ t: [], y: [] })) };
    this.runner.start(sims, dur, {
      running: t('race.running', { n: fmt.int(kinds.length), s: fmt.s(dur) }),
      // at most CHUNK_S at a time: the simulation keeps its last samples only, and the race
      // draws the whole run
      chunkS: CHUNK_S,
      advanced: (i) => collect(sims[i], job.series[i]),
      done: (summaries, took) => {
        this.finish(job, summaries);
        return t('race.done', { n: fmt.int(kinds.length), s: fmt.s(dur), took: fmt.s(took) });
      },
    });
  }

  finish(job, summaries) {
    const verdict = fleetlab.race_verdict(job.kinds.map((name, i) => ({ name, summary: summaries[i] })));
    this.result = { kinds: job.kinds, dur: job.dur, summaries, series: job.series, verdict, key: job.key, settings: job.settings };
    this.render();
  }

  markStale() {
    if (!this.result) return;
    showStale(this.results, this.staleNote, this.result.key !== this.key() || this.result.kinds.join() !== this.chosen().join());
  }

  render() {
    const r = this.result;
    if (!r) { this.results.hidden = true; return; }
    const name = (k) => nameOf('autoscaler.kind', k);
    this.staleNote = h('p', { class: 'stale', role: 'status', hidden: true }, t('race.stale'));
    const lost = (s) => s.requests.dropped + s.requests.failed;
    const head = h('tr', null, h('th', { scope: 'col' }, t('race.col.autoscaler')),
      ['p99', 'lost', 'cost', 'cold', 'standing'].map((c) => h('th', { scope: 'col' }, t(`race.col.${c}`))));
    const body = r.kinds.map((k, i) => {
      const s = r.summaries[i];
      const cs = s.cold_start;
      return h('tr', { 'data-kind': k, class: r.verdict.winner === i ? 'win' : '' },
        h('th', { scope: 'row' }, h('span', { class: `race-sw race-${i}`, 'aria-hidden': 'true' }), name(k),
          h('span', { class: 'race-src' }, this.describe(r.settings[i]))),
        h('td', { 'data-metric': 'p99' }, fmt.ms(s.latency_s.p99)),
        h('td', { 'data-metric': 'lost', class: lost(s) > 0 ? 'bad' : '' }, t('race.lost', { n: fmt.int(lost(s)), share: fmt.pct1(lost(s) / Math.max(1, s.requests.arrived)) })),
        h('td', { 'data-metric': 'cost' }, t('race.inst_s', { x: fmt.int(s.instance_seconds) })),
        h('td', { 'data-metric': 'cold' }, t('race.cold', { waited: fmt.int(cs.waited), failed: fmt.int(cs.failed), max: fmt.s(cs.max_wait_s) })),
        h('td', { 'data-metric': 'standing' }, this.standing(r, i, name)));
    });
    const same = r.summaries.every((s) => s.requests.arrived === r.summaries[0].requests.arrived);
    fill(this.results,
      this.staleNote,
      h('p', { class: 'help' }, same ? t('race.same_requests', { n: fmt.int(r.summaries[0].requests.arrived) }) : t('cmp.diff_requests', { a: fmt.int(r.summaries[0].requests.arrived), b: fmt.int(r.summaries[1].requests.arrived) })),
      this.chart(r, name),
      h('div', { class: 'table-scroll' }, h('table', { class: 'race-table' }, h('caption', null, t('race.table_caption')), h('thead', null, head), h('tbody', null, body))),
      h('div', { class: 'cmp-verdict' }, h('h3', null, t('cmp.verdict')), h('p', { class: 'explain', id: 'race-sentence' }, this.sentence(r, name))));
    this.results.hidden = false;
    this.results.dataset.stale = 'false';
    this.markStale();
  }

  /** "the lesson's settings: container concurrency 4, max scale 50" in the page's language. */
  describe({ source, autoscaler }) {
    const parts = Object.entries(autoscaler)
      .filter(([k, v]) => k !== 'kind' && typeof v === 'number' && hasField(`autoscaler.${k}`))
      .map(([k, v]) => t('race.setting', { label: field(`autoscaler.${k}`).label, x: fmt.num(v) }));
    return parts.length ? t('race.src_with', { source: t(`race.src.${source}`), list: fmt.list(parts) }) : t(`race.src.${source}`);
  }

  standing(r, i, name) {
    const st = r.verdict.standings[i];
    switch (st.standing) {
      case 'best': return t('race.st.best');
      case 'costlier': return t('race.st.costlier', { extra: fmt.pct(st.extra) });
      case 'tied': return t('race.st.tied');
      case 'slower': return t('race.st.slower', { ratio: fmt.times(st.ratio) });
      default: return t('race.st.lost', { loss: fmt.pct1(st.loss), best: fmt.pct1(st.best) });
    }
  }

  sentence(r, name) {
    const w = r.verdict.winner;
    if (w == null) return '';
    const tied = r.kinds.filter((k, i) => r.verdict.standings[i].standing === 'tied').map(name);
    const wins = t('race.wins', { winner: name(r.kinds[w]) });
    return tied.length ? t.sentences(wins, t('race.tie', { winner: name(r.kinds[w]), list: fmt.list(tied) })) : wins;
  }

  /** Ready replicas over time, one line per variant. */
  chart(r, name) {
    const series = r.series;
    const top = Math.max(1, ...series.flatMap((s) => s.y));
    const x = (v) => PAD.l + (v / r.dur) * (W - PAD.l - PAD.r);
    const y = (v) => H - PAD.b - (v / top) * (H - PAD.t - PAD.b);
    const ticks = [0, Math.round(top / 2), top];
    const tTicks = [0, r.dur / 2, r.dur];
    const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('race.chart_label', { list: fmt.list(r.kinds.map((k, i) => t('race.peak', { name: name(k), n: fmt.int(Math.max(0, ...series[i].y)) }))) }) },
      ticks.map((v) => [h('svg:line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'grid' }), h('svg:text', { x: PAD.l - 4, y: y(v) + 4, 'text-anchor': 'end' }, fmt.int(v))]),
      tTicks.map((v) => h('svg:text', { x: x(v), y: H - 8, 'text-anchor': v === 0 ? 'start' : v === r.dur ? 'end' : 'middle' }, fmt.s(v))),
      series.map((s, i) => h('svg:polyline', { class: `race-line race-${i}`, points: s.t.map((tv, j) => `${x(tv).toFixed(1)},${y(s.y[j]).toFixed(1)}`).join(' ') })));
    return h('figure', { class: 'race-chart' }, h('figcaption', null, t('race.chart_caption')), svg,
      h('ul', { class: 'legend' }, r.kinds.map((k, i) => h('li', null, h('span', { class: `race-sw race-${i}`, 'aria-hidden': 'true' }), name(k)))));
  }
}
