// The page's regions, built for an App (app.js) in the page's language: the header, the stage
// (the fleet drawing, the inspector, the time bar and the chart beside it), the side column
// (lessons, the arithmetic, the event list), the charts, the comparison and the footer. Each
// function returns its element and keeps on `app` the parts the app updates.
import { h } from './dom.js';
import { t, fmt, lang, LANGS } from './i18n.js';
import { logKinds } from './core.js';
import { Inspector } from './inspector.js';
import { LARGE_FLEET } from './fleet-view.js';
import { ExplainPanel } from './explain-panel.js';
import { EventLog } from './event-log.js';
import { Charts, CHARTS, AUTOSCALER_CHART, SERVING_CHARTS } from './charts.js';
import { ServingPanel } from './serving-panel.js';
import { Compare } from './compare.js';
import { Race } from './race.js';
import { download, csvBlob, jsonBlob } from './exports.js';

export const SPEEDS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100];
export const STEP_UNITS = ['event', 'second', 'sync'];
/** "Pause when…" choices: event-log kinds (the core checks the names). */
export const PAUSE_KINDS = ['evicted', 'ejected', 'scaled', 'crashed', 'heartbeat_missed', 'rate_changed'];
export const SEEN_KEY = 'fleetlab.seen';

export function header(app) {
  const btn = (key, onclick, extra = {}) => h('button', { type: 'button', onclick, ...extra }, t(key));
  app.btnPlay = h('button', { type: 'button', class: 'primary', id: 'btn-play', onclick: () => app.setPlaying(!app.playing) });
  const unit = h('select', { id: 'step-unit', 'aria-label': t('time.step_unit'), onchange: (e) => { app.stepUnit = e.target.value; } },
    STEP_UNITS.map((u) => h('option', { value: u }, t(`time.unit.${u}`))));
  unit.value = app.stepUnit;
  const langSel = h('select', { id: 'lang', 'aria-label': 'Language / 语言', onchange: (e) => app.switchLang(e.target.value) },
    LANGS.map((l) => h('option', { value: l, lang: l }, l === 'en' ? 'English' : '中文')));
  langSel.value = lang;
  return h('header', { class: 'top' },
    h('div', { class: 'brand' }, h('img', { src: 'favicon.svg', alt: '', width: 24, height: 24 }), h('h1', { class: 'name' }, 'fleetlab'),
      h('span', { class: 'tagline' }, t('header.tagline'))),
    h('nav', { class: 'actions', 'aria-label': t('header.actions') },
      btn('header.lessons', () => app.lessons.showMenu(), { id: 'btn-lessons' }),
      btn('header.reset', () => app.reset(), { id: 'btn-reset' }),
      app.btnPlay,
      h('span', { class: 'step-group' }, btn('header.step', () => app.step(), { id: 'btn-step' }), unit),
      langSel,
      h('button', { type: 'button', id: 'btn-classroom', 'aria-pressed': String(app.classroom), onclick: () => app.toggleClassroom() }, t('header.classroom')),
      h('button', { type: 'button', id: 'btn-details', 'aria-pressed': String(app.details), onclick: () => app.toggleDetails() }, t('header.details'))));
}

export function stage(app) {
  const canvas = h('canvas', { id: 'fleet', tabindex: '0', role: 'img', 'aria-label': t('fleet.canvas_label'), 'data-instances-drawn': '0' });
  app.canvas = canvas;
  app.fleetView = null; // made once the canvas is in the document (it measures itself)
  canvas.addEventListener('click', (e) => {
    const r = canvas.getBoundingClientRect();
    app.select(app.fleetView.hit(e.clientX - r.left, e.clientY - r.top));
  });
  canvas.addEventListener('keydown', (e) => app.canvasKey(e));
  app.inspector = new Inspector({ sim: () => app.sim, select: (id) => { app.select(id); canvas.focus(); }, changed: () => app.afterChange() });
  app.inspector.show(app.selected);
  app.fleetSummary = h('p', { class: 'stage-sub', role: 'status' });
  app.servingPanel = new ServingPanel({ select: (id) => app.select(id), selected: () => app.selected });
  app.featureSlot = h('div', { class: 'feature-slot' });
  const grad = () => h('li', null, h('span', { class: 'lg-grad', 'aria-hidden': 'true' }), h('span', null, t('legend.util')));
  const item = (sw, key) => h('li', null, ...sw.split(' ').map((s) => h('span', { class: `sw sw-${s}`, 'aria-hidden': 'true' })), t(key));
  const legend = h('ul', { class: 'legend legend-cells', 'aria-label': t('legend.label') }, grad(),
    ['start', 'drain', 'crash', 'part', 'queue', 'dot', 'fail'].map((k) => item(k, `legend.${k}`)));
  // the heat map's own key (style.css shows it, instead of the list above, while the canvas is a heat map)
  const mapLegend = h('div', { class: 'legend-map' },
    h('p', { class: 'legend-intro' }, t('legend.map_intro', { n: fmt.int(LARGE_FLEET) })),
    h('ul', { class: 'legend', 'aria-label': t('legend.label') }, item('map-cell', 'legend.map_cell'), grad(),
      ...[['part-map', 'out'], ['ej', 'ejected'], ['drain', 'leaving'], ['crash-ring', 'crash'], ['busy idle', 'rings'], ['panel', 'panel']]
        .map(([sw, k]) => item(sw, `legend.map_${k}`))));
  app.stage = h('section', { class: 'stage card', id: 'stage', 'data-show': 'fleet', 'aria-labelledby': 'h-fleet' },
    h('div', { class: 'card-head' }, h('h2', { id: 'h-fleet' }, t('fleet.title')),
      h('button', { type: 'button', class: 'small ghost', onclick: () => app.saveFleetPng() }, t('export.fleet_png'))),
    app.fleetSummary,
    h('div', { class: 'canvas-wrap' }, canvas),
    app.inspector.el,
    timebar(app),
    app.featureSlot,
    app.servingPanel.el,
    h('details', { class: 'legend-box' }, h('summary', null, t('legend.title')), legend, mapLegend));
  return app.stage;
}

export function timebar(app) {
  app.timeSlider = h('input', {
    type: 'range', id: 'time', min: 0, max: 1, step: 'any', value: 0, 'aria-label': t('time.slider'),
    oninput: () => app.seek(Number(app.timeSlider.value)),
    onpointerdown: () => { app.dragging = true; }, onpointerup: () => { app.dragging = false; },
    onkeydown: (e) => {
      const d = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 }[e.key];
      let to = null;
      if (d != null) to = app.sim.now_s + d;
      else if (e.key === 'Home') to = 0;
      else if (e.key === 'End') to = app.sim.horizon_s;
      if (to == null) return;
      e.preventDefault();
      app.seek(to);
    },
  });
  app.timeText = h('span', { class: 'time-now' });
  app.timeStatus = h('span', { class: 'time-status', role: 'status' });
  app.selSpeed = h('select', { id: 'speed', onchange: (e) => app.setSpeed(Number(e.target.value)) },
    SPEEDS.map((s) => h('option', { value: s }, fmt.times(s))));
  app.selSpeed.value = String(app.speed);
  const boxes = PAUSE_KINDS.filter((k) => logKinds.includes(k)).map((k) => {
    const id = `bp-${k}`;
    return h('span', { class: 'check' }, h('input', {
      type: 'checkbox', id, checked: app.pauseOn.has(k), 'data-kind': k,
      onchange: (e) => { if (e.target.checked) app.pauseOn.add(k); else app.pauseOn.delete(k); if (!app.target) app.syncBreakpoints(); },
    }), h('label', { for: id }, t(`bp.${k}`)));
  });
  app.telemetry = h('p', { class: 'telemetry', hidden: !app.details });
  return h('div', { class: 'timebar' },
    h('div', { class: 'time-row' }, h('label', { for: 'time', class: 'vh' }, t('time.slider')), app.timeSlider, app.timeText),
    h('div', { class: 'time-row' },
      h('span', { class: 'speed' }, h('label', { for: 'speed' }, t('time.speed')), app.selSpeed),
      h('details', { class: 'pause-when' }, h('summary', null, t('time.pause_when')), h('fieldset', null, h('legend', { class: 'vh' }, t('time.pause_when')), boxes)),
      app.timeStatus),
    app.telemetry);
}

export function side(app) {
  app.explain = new ExplainPanel({ tryDemo: (id) => app.tryDemo(id), startLesson: () => app.startHere() });
  app.eventLog = new EventLog();
  app.feedUnsub?.();
  app.feedUnsub = app.feed.subscribe((entries) => app.eventLog.onLog(entries));
  const first = !localStorage.getItem(SEEN_KEY);
  app.startCard = h('section', { class: 'card start', id: 'start-here', 'aria-labelledby': 'h-start', hidden: !first || app.lessons.active },
    h('h2', { id: 'h-start' }, t('start.title')), h('p', null, t('start.text')),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'primary', id: 'btn-start', onclick: () => app.startHere() }, t('start.button')),
      h('button', { type: 'button', onclick: () => { localStorage.setItem(SEEN_KEY, '1'); app.startCard.hidden = true; } }, t('start.later'))));
  return h('div', { class: 'side' }, app.lessons.menu, app.startCard, app.lessons.el, app.explain.el, app.eventLog.el);
}

export function charts(app) {
  app.charts = new Charts({ onPng: (id) => app.saveChartPng(id) });
  app.chartGrid = h('div', { class: 'chart-grid' }, [AUTOSCALER_CHART, ...SERVING_CHARTS, ...CHARTS].map((s) => app.charts.figure(s)));
  app.feedUnsubCharts?.();
  app.feedUnsubCharts = app.feed.subscribe((e) => app.charts.onLog(e));
  return h('section', { class: 'charts card', id: 'charts', 'aria-labelledby': 'h-charts' },
    h('div', { class: 'card-head' }, h('h2', { id: 'h-charts' }, t('charts.title')),
      h('span', { class: 'row' },
        h('button', { type: 'button', class: 'small', id: 'btn-csv', onclick: () => download(csvBlob(app.sim.timeline()), 'fleetlab-timeline.csv') }, t('export.csv')),
        h('button', { type: 'button', class: 'small', id: 'btn-json', onclick: () => download(jsonBlob(app.sim.summary()), 'fleetlab-summary.json') }, t('export.json')))),
    h('p', { class: 'help' }, t('charts.intro')),
    app.chartGrid);
}

export function comparison(app) {
  const old = app.compare;
  app.compare = new Compare({ sim: () => app.sim, changed: () => app.writeUrlSoon() });
  app.compareDefault ??= app.compare.choice;
  if (old) {
    app.compare.setChoice(old.choice);
    old.cancel();
    app.compare.result = old.result;
    app.compare.render();
  }
  return app.compare.el;
}

export function race(app) {
  const old = app.race;
  app.race = new Race({ sim: () => app.sim, load: (scenario) => { app.lessons.close(); app.compare?.clear(); app.load(scenario); } });
  if (old) {
    app.race.choose(old.chosen());
    old.cancel();
    app.race.result = old.result;
    app.race.render();
  }
  return app.race.el;
}

export function footer(app) {
  return h('footer', { class: 'foot' }, h('p', null, t('footer.text')));
}
