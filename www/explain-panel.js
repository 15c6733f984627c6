// "The arithmetic": the article's formulas on the fleet as it is now, worded from the core's
// explain() — ρ and "instances needed" on what really serves (ready instances at their real
// speeds), the conditions in force ("#4 runs at 50 % speed, so …"), whether the measurement is
// still settling after a change, and queueing theory beside the measurement only where its
// equal-server assumption holds. Nothing is computed here.
import { h, text, fill } from './dom.js';
import { t, fmt } from './i18n.js';
import { flagNames } from './core.js';
import { DEMOS } from './presets.js';
import { KEYED } from './relevance.js';

/** The core value each readout shows (a lesson's `highlight.value` names these). */
const VALUE_OF = {
  per_instance_load: 'explain.nominal.per_instance_load', instances_needed: 'explain.nominal.instances_needed',
  rho: 'explain.nominal.rho', rho_ready: 'explain.rho_ready', m_throughput: 'timeline.throughput_rps',
  m_mean: 'explain.measured_mean_s', m_p99: 'timeline.p99_s', m_dropped: 'summary.requests.dropped',
  m_failed: 'summary.requests.failed', m_in_flight: 'summary.requests.in_flight',
};

export class ExplainPanel {
  /**
   * @param {object} o
   * @param {(id: string) => void} o.tryDemo  a "Try" chip: default scenario + the demo's fields
   * @param {() => void} o.startLesson
   */
  constructor(o) {
    this.o = o;
    const out = (key, formula) => {
      const v = h('output', { 'data-value': VALUE_OF[key] ?? key });
      const el = h('div', { class: 'ro' }, h('span', { class: 'ro-label' }, t(`explain.ro.${key}`)), v,
        formula ? h('span', { class: 'formula' }, formula) : null);
      return { el, v };
    };
    this.ro = {
      per_instance_load: out('per_instance_load', 'L / N'),
      instances_needed: out('instances_needed', 'ceil(L / C)'),
      rho: out('rho', 'ρ = L / (N·C)'),
      rho_ready: out('rho_ready', t('explain.formula.rho_ready')),
    };
    this.ro.rho_ready.el.hidden = true;
    this.meas = Object.fromEntries(['throughput', 'mean', 'p99', 'dropped', 'failed', 'in_flight'].map((k) => [k, out(`m_${k}`)]));
    this.headline = h('p', { class: 'headline', role: 'status' });
    this.tries = h('div', { class: 'tries', role: 'group', 'aria-label': t('explain.try_group') });
    this.conditions = h('ul', { class: 'conditions' });
    this.capacity = h('p', { class: 'capacity' });
    this.uneven = h('p', { class: 'uneven' });
    this.settling = h('p', { class: 'settling' });
    this.th = {
      mm1: h('output', { 'data-value': 'explain.ready_theory.mm1_mean_s' }),
      mmc: h('output', { 'data-value': 'explain.ready_theory.mmc_mean_s' }),
      meas: h('output', { 'data-value': 'explain.measured_mean_s' }),
    };
    this.theoryNote = h('p', { class: 'note' });
    this.el = h('section', { class: 'card explain', id: 'explain', 'data-show': 'theory', 'aria-labelledby': 'h-explain' },
      h('h2', { id: 'h-explain' }, t('explain.title')),
      h('div', { class: 'readouts main' }, this.ro.per_instance_load.el, this.ro.instances_needed.el, this.ro.rho.el, this.ro.rho_ready.el),
      this.headline, this.tries, this.conditions, this.capacity, this.uneven, this.settling,
      h('h3', null, t('explain.measured')),
      h('div', { class: 'readouts small' }, Object.values(this.meas).map((m) => m.el)),
      h('h3', null, t('explain.theory')),
      h('table', { class: 'theory' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('explain.th.what')), h('th', { scope: 'col' }, t('explain.th.value')))),
        h('tbody', null,
          h('tr', null, h('th', { scope: 'row' }, t('explain.th.mm1'), ' ', h('span', { class: 'muted' }, '1/(μ−λ), λ = L/N')), h('td', null, this.th.mm1)),
          h('tr', null, h('th', { scope: 'row' }, t('explain.th.mmc'), ' ', h('span', { class: 'muted' }, 'Erlang C')), h('td', null, this.th.mmc)),
          h('tr', null, h('th', { scope: 'row' }, t('explain.th.measured')), h('td', null, this.th.meas)))),
      this.theoryNote);
    this.triesKey = '';
  }

  /**
   * @param {object} ex  explain()  @param {object} det  details()
   * @param {{p99: number|null, throughput: number|null}} second  the last sampled second's p99 and
   *   throughput (null before the first second ends)
   * @param {object[]} rows  the view's data rows  @param {string} algorithm  the balancer's
   */
  update(ex, det, second, rows = [], algorithm = '') {
    const nom = ex.nominal;
    text(this.ro.per_instance_load.v, fmt.rps(nom.per_instance_load));
    text(this.ro.instances_needed.v, fmt.int(nom.instances_needed));
    text(this.ro.rho.v, fmt.num(nom.rho));
    const differs = ex.conditions.length > 0 || ex.ready !== ex.desired;
    this.ro.rho_ready.el.hidden = !differs;
    text(this.ro.rho_ready.v, ex.rho_ready == null ? '—' : fmt.num(ex.rho_ready));

    // the headline: how loaded what really serves is
    const p = {
      rho: fmt.num(ex.rho_ready), L: fmt.rps(ex.load_rps), C: fmt.rps(ex.capacity_rps), N: fmt.int(ex.desired),
      need: fmt.int(nom.instances_needed), ready: fmt.int(ex.ready),
    };
    let key;
    switch (ex.load.state) {
      case 'no_capacity': key = 'explain.state.no_capacity'; break;
      case 'critical': key = !differs && ex.desired === nom.instances_needed ? 'explain.state.critical_rule' : 'explain.state.critical'; break;
      case 'stable': key = 'explain.state.stable'; p.idle = fmt.pct(ex.load.idle_fraction); break;
      default: key = 'explain.state.overloaded'; p.excess = fmt.rps(ex.load.excess_rps);
    }
    text(this.headline, t(key, p));
    this.headline.dataset.state = ex.load.state;
    this.renderTries(key);

    // what makes the ready fleet differ from N equal instances
    const items = ex.conditions.map((c) => conditionText(c));
    const k = JSON.stringify(items);
    if (k !== this.condKey) {
      this.condKey = k;
      fill(this.conditions, items.map((s) => h('li', null, s)));
    }
    text(this.capacity, differs ? t('explain.capacity', {
      ready: fmt.int(ex.ready), members: fmt.int(ex.members), cap: fmt.rps(ex.ready_capacity_rps),
      nominal: fmt.rps(ex.desired * ex.capacity_rps), rho: ex.rho_ready == null ? '—' : fmt.num(ex.rho_ready),
    }) : '');
    text(this.settling, ex.settling ? t('explain.settling', { since: fmt.s(ex.since_change_s), n: fmt.int(ex.measured_completed) }) : '');
    // requests that follow their keys give the instances unequal shares: the average can hide
    // one that is saturated, so name the longest queue
    const longest = rows.filter((r) => r.lifecycle === 'ready').reduce((a, r) => (a && a.queue >= r.queue ? a : r), null);
    const keyed = KEYED.includes(algorithm) && ex.load.state === 'stable' && longest && longest.queue > 0;
    text(this.uneven, keyed ? t('explain.uneven', { id: longest.id, q: fmt.int(longest.queue), rho: fmt.num(ex.rho_ready) }) : '');

    // measured
    text(this.meas.throughput.v, fmt.rps(second.throughput));
    text(this.meas.mean.v, fmt.ms(ex.measured_mean_s));
    text(this.meas.p99.v, fmt.ms(second.p99));
    text(this.meas.dropped.v, fmt.int(det.requests.dropped));
    text(this.meas.failed.v, fmt.int(det.requests.failed));
    text(this.meas.in_flight.v, fmt.int(det.requests.in_flight));

    // theory, where it applies
    const th = ex.equal_servers ? ex.ready_theory : null;
    const rhoBad = (th?.rho ?? ex.rho_ready ?? 1) >= 1;
    text(this.th.mm1, th ? (th.mm1_mean_s == null ? t('explain.unbounded') : fmt.ms(th.mm1_mean_s)) : '—');
    text(this.th.mmc, th ? (th.mmc_mean_s == null ? t('explain.unbounded') : fmt.ms(th.mmc_mean_s)) : '—');
    text(this.th.meas, fmt.ms(ex.measured_mean_s));
    text(this.theoryNote, !ex.equal_servers ? t('explain.note.unequal')
      : rhoBad ? t('explain.note.unbounded')
      : ex.settling ? t('explain.note.settling') : t('explain.note.compare'));
  }

  renderTries(stateKey) {
    if (stateKey === this.triesKey) return;
    this.triesKey = stateKey;
    const chips = [];
    if (stateKey === 'explain.state.critical_rule') {
      // the two ways out of ρ = 1 on the article's example: a little less load, one more instance
      chips.push(h('button', { type: 'button', class: 'try', onclick: () => this.o.tryDemo('l450') }, t('explain.try.load', { L: fmt.num(DEMOS.l450.patch.traffic.rate_rps) })));
      chips.push(h('button', { type: 'button', class: 'try', onclick: () => this.o.tryDemo('n6') }, t('explain.try.count', { N: fmt.int(DEMOS.n6.patch.instances.count) })));
      chips.push(h('button', { type: 'button', class: 'try', onclick: () => this.o.startLesson() }, t('explain.try.lesson')));
    }
    fill(this.tries, chips);
    this.tries.hidden = !chips.length;
  }
}

/** One condition in force: "#4 runs at 50 % speed", "#2 has crashed", … */
export function conditionText(c) {
  const id = c.instance;
  const parts = [];
  if (c.lifecycle !== 'ready') parts.push(t(`explain.cond.life.${c.lifecycle}`));
  if (c.speed !== 1 && c.lifecycle === 'ready') parts.push(t('explain.cond.speed', { pct: fmt.pct(c.speed) }));
  if (c.weight !== 1) parts.push(t('explain.cond.weight', { w: fmt.int(c.weight) }));
  // a slow fault shows as the speed above
  for (const name of flagNames(c.flags)) if (name !== 'slow') parts.push(t(`explain.cond.flag.${name}`));
  return t('explain.cond', { id, what: fmt.list(parts) });
}
