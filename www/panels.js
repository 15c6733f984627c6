// The settings column: the three main controls (N, L, C with their sliders), the tab strip and
// each tab's panel — its chooser, its "Try" chips and presets, its settings drawn from the
// schema, and what belongs to it (the key view, the registry table, the autoscaler's decisions
// and the HPA export).
import { h, text } from './dom.js';
import { t, fmt, field, nameOf } from './i18n.js';
import { fleetlab, row } from './core.js';
import { NumberField, roundValues } from './controls.js';
import { hintText } from './errors.js';
import { logText } from './log.js';
import { stepText } from './hpa-steps.js';
import { SettingsForm, getPath } from './settings.js';
import { RegistryTable } from './registry-table.js';
import { KeyView } from './key-view.js';
import { HpaExport } from './hpa-export.js';
import { PANEL_DEMOS, PRESETS, demoParams } from './presets.js';
import { words } from './lessons.js';

export const TABS = ['serving', 'balancer', 'registry', 'autoscaler'];
/** Slider spans (a UI choice; the fields accept the schema's whole range). */
const SPANS = { 'instances.count': [1, 1000], 'traffic.rate_rps': [1, 100000], 'instances.capacity_rps': [1, 10000] };
const smooth = () => (matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth');

export function controls(app) {
  const main = ['instances.count', 'traffic.rate_rps', 'instances.capacity_rps'].map((path) => {
    const r = row(path);
    const [lo, hi] = SPANS[path];
    const f = field(path);
    const nf = new NumberField({
      path, label: f.label, help: f.help, hint: hintText(r.range, r.unit), values: roundValues(lo, hi),
      sliderLabel: t('controls.slider', { label: f.label }),
      apply: (text) => app.edit(path, text),
      keeping: () => fmtValue(path, getPath(app.sim.scenario(), path)),
    });
    return nf;
  });
  app.mainFields = main;
  app.forms = {};
  const pane = (name, ...kids) => h('div', { class: 'tabpane', role: 'tabpanel', id: `pane-${name}`, 'aria-labelledby': `tab-${name}`, hidden: true }, kids);
  const form = (name) => {
    const f = new SettingsForm({ panel: name, edit: (p, v) => app.edit(p, v), parse: (p, text) => app.sim.parse_field(p, text), extra: (p) => (p === 'seed' ? seedButton(app) : fieldPresets(app, p)) });
    app.forms[name] = f;
    return h('details', { class: 'settings', 'data-settings': name }, h('summary', null, t(`settings.${name}`)), f.el);
  };
  const tries = (name) => {
    const ids = PANEL_DEMOS(name);
    return ids.length ? h('div', { class: 'tries', role: 'group', 'aria-label': t('try.group') },
      ids.map((id) => h('button', { type: 'button', class: 'try', 'data-demo': id, onclick: () => app.tryDemo(id) }, t(`try.${id}.label`, tryParams(id))))) : null;
  };
  app.tips = {};
  const tip = (name) => (app.tips[name] = h('p', { class: 'tip', role: 'status' }));

  // balancer
  const algos = row('balancer.algorithm').names;
  app.selAlgo = h('select', { id: 'sel-algo', 'aria-describedby': 'algo-note algo-err', onchange: (e) => app.choose('balancer.algorithm', e.target.value, app.algoErr) },
    algos.map((a) => h('option', { value: a }, nameOf('balancer.algorithm', a))));
  app.algoNote = h('p', { class: 'help', id: 'algo-note' });
  app.algoErr = h('p', { class: 'err', id: 'algo-err', role: 'alert' });
  app.keyView = new KeyView();
  // autoscaler
  const kinds = row('autoscaler.kind').names;
  app.selKind = h('select', { id: 'sel-kind', 'aria-describedby': 'kind-note kind-err', onchange: (e) => app.choose('autoscaler', { kind: e.target.value }, app.kindErr) },
    kinds.map((k) => h('option', { value: k }, nameOf('autoscaler.kind', k))));
  app.kindNote = h('p', { class: 'help', id: 'kind-note' });
  app.kindErr = h('p', { class: 'err', id: 'kind-err', role: 'alert' });
  app.decisions = new Decisions();
  app.decisions.el.dataset.show = 'decisions';
  app.feedUnsubDecisions?.();
  app.feedUnsubDecisions = app.feed.subscribe((e) => app.decisions.onLog(e));
  app.hpaExport = new HpaExport(() => app.sim.scenario().autoscaler);
  app.registryTable = new RegistryTable({ onSelect: (id) => app.select(id) });
  app.registryTable.el.dataset.show = 'registry';

  app.tabs = {};
  const tabButtons = TABS.map((name, i) => {
    const btn = h('button', {
      type: 'button', role: 'tab', id: `tab-${name}`, 'aria-controls': `pane-${name}`, 'aria-selected': 'false', tabindex: '-1',
      onclick: () => app.setTab(name, false),
      onkeydown: (e) => {
        const k = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
        if (k == null) return;
        e.preventDefault();
        app.setTab(TABS[(k + TABS.length) % TABS.length], true);
      },
    }, t(`tab.${name}`));
    return btn;
  });
  const panes = {
    serving: pane('serving', h('p', { class: 'help' }, t('panel.serving.intro')), tries('serving'), tip('serving'), form('serving')),
    balancer: pane('balancer',
      h('div', { class: 'field' }, h('label', { for: 'sel-algo' }, field('balancer.algorithm').label), app.selAlgo, app.algoNote, app.algoErr),
      tries('balancer'), tip('balancer'),
      h('button', { type: 'button', class: 'link', onclick: () => app.compare.el.scrollIntoView({ block: 'start', behavior: smooth() }) }, t('panel.balancer.compare')),
      app.keyView.el, form('balancer')),
    registry: pane('registry', h('p', { class: 'help' }, t('panel.registry.intro')), tries('registry'), tip('registry'),
      h('button', { type: 'button', onclick: () => app.recoverAll() }, t('panel.registry.recover_all')),
      app.registryTable.el, form('registry')),
    autoscaler: pane('autoscaler',
      h('div', { class: 'field' }, h('label', { for: 'sel-kind' }, field('autoscaler.kind').label), app.selKind, app.kindNote, app.kindErr),
      form('autoscaler'),
      h('h3', null, t('panel.autoscaler.presets')),
      h('div', { class: 'tries presets', role: 'group', 'aria-label': t('panel.autoscaler.presets') },
        PRESETS().map((id) => h('button', { type: 'button', class: 'try', 'data-demo': id, onclick: () => app.tryDemo(id) }, t(`try.${id}.label`, tryParams(id))))),
      tip('autoscaler'),
      h('h3', null, t('panel.autoscaler.decisions')), app.decisions.el,
      app.hpaExport.el),
  };
  for (const name of TABS) app.tabs[name] = { btn: tabButtons[TABS.indexOf(name)], pane: panes[name] };
  return h('section', { class: 'controls card', id: 'controls', 'aria-labelledby': 'h-controls' },
    h('h2', { id: 'h-controls', class: 'vh' }, t('controls.title')),
    h('div', { class: 'essentials' }, main.map((m) => m.el)),
    h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('tab.list') }, tabButtons),
    TABS.map((n) => panes[n]));
}

/** The core's named presets for a field (e.g. a large model's start-up time), as chips. */
function fieldPresets(app, path) {
  const list = (fleetlab.presets?.() ?? []).filter((p) => p.fields.some(([f]) => f === path));
  if (!list.length) return null;
  return h('div', { class: 'tries', role: 'group', 'aria-label': t('settings.presets', { field: field(path).label }) },
    list.map((p) => h('button', {
      type: 'button', class: 'try', 'data-preset': p.id, 'aria-describedby': `preset-${p.id}`,
      onclick: () => { for (const [f, v] of p.fields) app.edit(f, v); },
    }, words(p.title))),
    list.map((p) => h('p', { class: 'help', id: `preset-${p.id}` }, `${words(p.title)}: ${words(p.note)}`)));
}

export function seedButton(app) {
  return h('button', { type: 'button', class: 'small', onclick: () => {
    try { app.edit('seed', fleetlab.random_seed()); } catch (e) { app.showError(e); }
  } }, t('settings.new_seed'));
}

/** The autoscaler's decisions, newest first, each with its reasoning step by step. */
export class Decisions {
  constructor() {
    this.entries = [];
    this.el = h('ol', { class: 'decisions', 'aria-label': t('panel.autoscaler.decisions'), tabindex: '0' });
  }

  onLog(entries) {
    if (entries == null) { this.entries = []; this.el.replaceChildren(); return; }
    const mine = entries.filter((e) => e.group === 'scaling');
    if (!mine.length) return;
    this.entries.push(...mine);
    if (this.entries.length > 60) this.entries.splice(0, this.entries.length - 60);
    const frag = document.createDocumentFragment();
    for (const e of mine) {
      frag.prepend(h('li', { 'data-kind': e.kind },
        h('p', null, h('span', { class: 't' }, fmt.s(e.t_s)), ' ', h('strong', null, logText(e))),
        e.explanation ? h('ol', { class: 'steps' }, e.explanation.steps.map((s) => h('li', null, stepText(s)))) : null));
    }
    this.el.prepend(frag);
    while (this.el.childElementCount > 60) this.el.lastElementChild.remove();
  }
}

function fmtValue(path, v) {
  const r = row(path);
  if (r?.unit === 'req/s') return fmt.rps(v);
  return fmt.num(v);
}

export function tryParams(id) {
  const p = demoParams(id);
  const out = {};
  for (const [k, v] of Object.entries(p)) if (v != null) out[k] = typeof v === 'number' ? fmt.num(v) : v;
  out.rate_rps = p.rate != null ? fmt.rps(p.rate) : '';
  out.peak_rps = p.peak ? fmt.rps(p.peak) : '';
  out.low_rps = p.low != null ? fmt.rps(p.low) : '';
  out.at_s = p.at != null ? fmt.s(p.at) : '';
  out.back_s = p.back != null ? fmt.s(p.back) : '';
  out.speed_x = p.speed != null ? fmt.times(p.speed) : '';
  out.delay_s = p.delay != null ? fmt.s(p.delay) : '';
  out.refresh_s = p.refresh != null ? fmt.s(p.refresh) : '';
  out.threshold_pct = p.threshold != null ? fmt.pct(p.threshold) : '';
  out.target_pct = p.target != null ? t('unit.pct', { x: fmt.int(p.target) }) : '';
  out.startup_s = p.startup != null ? fmt.s(p.startup) : '';
  out.step_s = p.step_s != null ? fmt.s(p.step_s) : '';
  return out;
}
