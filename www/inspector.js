// One instance up close: its state from the view's data row, the faults a teacher can inject
// (each recorded in the run, so a link replays it) and its balancer weight and speed (an
// override, also recorded). Opened by clicking the drawing, the registry table or the arrow
// keys on the canvas; it sits beside the drawing, never over it.
import { h, text } from './dom.js';
import { t, fmt, field } from './i18n.js';
import { row } from './core.js';
import { NumberField } from './controls.js';
import { errorText, hintText } from './errors.js';

export class Inspector {
  /**
   * @param {object} o
   * @param {() => any} o.sim
   * @param {(id: number|null) => void} o.select
   * @param {() => void} o.changed  after an accepted change
   */
  constructor(o) {
    this.o = o;
    this.id = null;
    this.title = h('h3', { id: 'insp-title' });
    this.facts = h('p', { class: 'insp-body' });
    this.err = h('p', { class: 'err', role: 'alert' });
    const slow = row('faults[].factor')?.default;
    const fault = (kind, label) => h('button', {
      type: 'button', 'data-fault': kind,
      onclick: () => this.fault(kind, kind === 'slow' ? slow : 1),
    }, label);
    this.weight = this.overrideField('weight');
    this.speed = this.overrideField('speed');
    this.el = h('section', { class: 'inspector', id: 'inspector', 'aria-labelledby': 'insp-title', hidden: true },
      h('div', { class: 'insp-head' }, this.title,
        h('button', { type: 'button', class: 'small ghost', onclick: () => this.o.select(null) }, t('insp.close'))),
      this.facts,
      h('div', { class: 'insp-actions', role: 'group', 'aria-label': t('insp.faults') },
        fault('crash', t('insp.crash')), fault('slow', t('insp.slow', { factor: fmt.times(slow) })),
        fault('partition', t('insp.partition')), fault('recover', t('insp.recover'))),
      this.err,
      h('div', { class: 'insp-overrides' }, this.weight.el, this.speed.el));
    this.el.addEventListener('keydown', (e) => { if (e.key === 'Escape') this.o.select(null); });
  }

  overrideField(key) {
    const path = `instances.overrides[].${key}`;
    const r = row(path);
    const nf = new NumberField({
      path, label: field(path).label, hint: hintText(r?.range, r?.unit),
      apply: (typed) => {
        const cur = this.override();
        // the core parses the text (as the N box's), then takes the whole entry
        const value = this.o.sim().parse_field(path, typed);
        this.o.sim().edit('instances.overrides[]', { instance: this.id, weight: cur.weight, speed: cur.speed, [key]: value });
        this.o.changed();
      },
      keeping: () => fmt.num(this.override()[key]),
    });
    return nf;
  }

  /** This instance's override in force (weight 1, speed 1 when none). */
  override() {
    const sc = this.o.sim().scenario();
    const o = sc.instances.overrides.find((x) => x.instance === this.id);
    return { weight: o?.weight ?? row('instances.overrides[].weight')?.default, speed: o?.speed ?? row('instances.overrides[].speed')?.default };
  }

  fault(kind, factor) {
    try {
      this.o.sim().fault(this.id, kind, factor);
      text(this.err, '');
      this.o.changed();
    } catch (e) {
      text(this.err, errorText(e));
    }
  }

  show(id) {
    const changed = id !== this.id;
    this.id = id;
    this.el.hidden = id == null;
    if (changed) {
      text(this.err, '');
      if (id != null) {
        const o = this.override();
        this.weight.set(o.weight);
        this.speed.set(o.speed);
      }
    }
  }

  /** @param {object|null} r  the instance's data row */
  update(r) {
    if (this.id == null) return;
    if (!r) {
      text(this.title, t('insp.title', { id: this.id, state: t('life.stopped') }));
      text(this.facts, t('insp.gone'));
      return;
    }
    text(this.title, t('insp.title', { id: r.id, state: t(`life.${r.lifecycle}`) }));
    const flags = r.flagNames.map((f) => t(`flag.${f}`));
    text(this.facts, [
      t('insp.registry', { state: t(`reg.${r.registry}`), view: t(r.in_view ? 'reg.in_view' : 'reg.not_in_view') }),
      t('insp.lease', { s: fmt.s(r.lease_left_s) }),
      t('insp.queue', { q: fmt.int(r.queue), s: fmt.int(r.in_service) }),
      t('insp.util', { u: fmt.pct(r.utilization) }),
      t('insp.counts', { c: fmt.int(r.completed), d: fmt.int(r.dropped), f: fmt.int(r.failed) }),
      t('insp.speed', { x: fmt.times(r.speed) }),
      flags.length ? fmt.list(flags) : null,
    ].filter(Boolean).join(' · '));
    const o = this.override();
    this.weight.follow(o.weight);
    this.speed.follow(o.speed);
  }
}


