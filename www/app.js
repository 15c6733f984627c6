// The page: its state (the simulation, play/pause and speed, the open tab, the lesson, the
// comparison, classroom mode), the frame loop, and the layout built from the components. JS
// keeps no simulation state: it sends changes to the core and reads the core's answers. A
// language switch rebuilds the DOM around the same simulation.
import { h, fill, text } from './dom.js';
import { t, fmt, nameOf, lang, setLang } from './i18n.js';
import { fleetlab, readRows, readRow, viewArray, fields as viewFields, codes } from './core.js';
import { errorText } from './errors.js';
import { LogFeed, logText, who } from './log.js';
import { scheduleWrite, diff } from './url.js';
import { getPath } from './settings.js';
import { LessonPlayer } from './lessons.js';
import { DEMOS } from './presets.js';
import { KEYED } from './relevance.js';
import { download, pngBlob } from './exports.js';
import { FleetView } from './fleet-view.js';
import * as faults from './faults.js';
import { header, stage, side, charts, comparison, race, footer, SPEEDS, STEP_UNITS, SEEN_KEY } from './layout.js';
import { controls, tryParams, TABS } from './panels.js';

export { TABS, SPEEDS, STEP_UNITS };
const ADVANCE_MS = 6;
const FAST_MS = 28;
const SEEK_EVENTS = 400000;
const smooth = () => (matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth');

export class App {
  constructor() {
    this.sim = null;
    this.playing = true;
    this.speed = 1;
    this.tab = 'serving';
    this.classroom = false;
    this.details = false;
    this.stepUnit = 'event';
    this.pauseOn = new Set();
    this.selected = null;
    this.target = null; // a lesson step's run: {until_s?, until?, max_s?, resolve, fast}
    this.seekTo = null; // rewinding to this time (seconds), over frames
    this.featured = 'latency';
    this.shown = [];
    this.notice = '';
    this.feed = new LogFeed();
    this.lessons = new LessonPlayer(this);
    this.compareChoice = null;
    this.lastTotal = -1;
    this.viewDirty = true;
    this.perf = { evPerMs: 2000, budget: 12000, achieved: 1, frameMs: 0, advMs: 0, times: [] };
  }

  // ------------------------------------------------------------------ the run

  /** A new run from a scenario (object or JSON text); throws the core's error, keeping the old run. */
  load(scenario, { lesson = false } = {}) {
    const next = new fleetlab.Simulation(scenario);
    this.sim?.free();
    this.sim = next;
    this.seekTo = null;
    this.lastTotal = -1;
    this.viewDirty = true;
    this.notice = '';
    this.charts?.clear();
    this.servingPanel?.reset();
    this.feed.reset();
    this.keyView?.reset();
    if (!lesson) this.syncBreakpoints();
    this.fleetView && (this.fleetView.queueLimit = next.scenario().instances.queue_limit);
    this.afterChange();
  }

  /** A change of the settings in force: forms, theory, link. */
  afterChange() {
    this.viewDirty = true;
    this.settingsKey = null;
    this.refreshForms();
    this.compare?.markStale();
    this.race?.markStale();
    this.writeUrlSoon();
  }

  /** Edits one field now; a setting that cannot change live starts a new run with it. */
  edit(path, value) {
    try {
      this.sim.edit(path, value);
    } catch (e) {
      if (e.kind !== 'not_live') throw e;
      const d = this.sim.description();
      setPath(d, path, typeof value === 'string' ? this.sim.parse_field(path, value) : value);
      this.load(d);
      return;
    }
    this.afterChange();
  }

  syncBreakpoints() {
    const kinds = this.target?.until ? [this.target.until] : [...this.pauseOn];
    try { this.sim.set_breakpoints(kinds); } catch (e) { this.showError(e); }
  }

  play() { this.setPlaying(true); }
  pause() { this.setPlaying(false); }

  setPlaying(on) {
    this.playing = on;
    if (on) this.notice = '';
    this.renderPlay();
    this.writeUrlSoon();
  }

  setSpeed(s) {
    this.speed = s;
    if (this.selSpeed) this.selSpeed.value = String(s);
    this.writeUrlSoon();
  }

  step() {
    if (this.playing) this.pause();
    this.cancelRun();
    try {
      this.sim.step(this.stepUnit);
    } catch (e) {
      this.showError(e);
      return;
    }
    const br = this.sim.take_break();
    this.notice = br >= 0 ? this.breakNotice(br) : t('time.stepped', { t: fmt.s(this.sim.now_s) });
    this.viewDirty = true;
    this.tick();
    this.writeUrlSoon();
  }

  /** Runs a lesson step to its moment; resolves with {event} (the breakpoint's entry) or {}. */
  runTo(run, { fast = false, speed } = {}) {
    this.cancelRun();
    return new Promise((resolve) => {
      const duration = this.sim.scenario().duration_s;
      this.target = {
        until_s: run.until_s ?? null, until: run.until ?? null,
        max_s: run.until ? (run.max_s ?? duration) : null, resolve, fast,
      };
      this.syncBreakpoints();
      if (speed) this.setSpeed(speed);
      this.playing = true;
      this.renderPlay();
      if (this.targetReached()) this.finishTarget(null);
    });
  }

  jump() {
    if (this.target) this.target.fast = true;
  }

  cancelRun() {
    if (!this.target) return;
    this.target = null;
    this.syncBreakpoints();
  }

  targetReached() {
    const g = this.target;
    if (!g) return false;
    const now = this.sim.now_s;
    if (g.until_s != null) return now >= g.until_s - 5e-10;
    return g.max_s != null && now >= g.max_s - 5e-10;
  }

  finishTarget(entry) {
    const g = this.target;
    this.target = null;
    this.syncBreakpoints();
    this.playing = false;
    this.renderPlay();
    this.viewDirty = true;
    this.feed.poll(this.sim);
    this.tick();
    g.resolve(entry ? { event: entry } : {});
  }

  breakNotice(seq) {
    const e = this.sim.log_since(seq).find((x) => x.seq === seq);
    if (!e) return t('time.paused_at', { t: fmt.s(this.sim.now_s) });
    if (e.instance != null) this.select(e.instance);
    this.feed.poll(this.sim);
    this.eventLog?.mark(seq);
    return t('time.paused_event', { t: fmt.s(e.t_s), what: [who(e), logText(e)].filter(Boolean).join(' ') });
  }

  /** Rewinds (or goes forward within what was run) to `t` seconds, over frames. */
  seek(tSec) {
    this.cancelRun();
    if (this.playing) this.pause();
    this.seekTo = Math.max(0, Math.min(this.sim.horizon_s, tSec));
    this.renderTime();
  }

  afterSeek() {
    this.seekTo = null;
    this.lastTotal = -1;
    this.viewDirty = true;
    this.charts.clear();
    this.feed.reset();
    this.feed.poll(this.sim);
    this.keyView?.reset();
    this.notice = t('time.rewound', { t: fmt.s(this.sim.now_s) });
    this.tick();
    this.writeUrlSoon();
  }

  /** Back to the default scenario: no faults, overrides, lesson, comparison; speed 1; first tab. */
  reset() {
    this.lessons.close();
    this.compare?.clear();
    this.race?.clear();
    this.target = null;
    this.pauseOn.clear();
    this.stepUnit = STEP_UNITS[0];
    this.selected = null;
    this.featured = 'latency';
    this.clearShow();
    this.speed = 1;
    this.tab = TABS[0];
    this.load({});
    this.playing = true;
    this.render();
    this.writeUrlSoon();
  }

  /** A "Try" chip or preset: the default scenario plus the demo's own fields. */
  tryDemo(id) {
    const d = DEMOS[id];
    this.lessons.close();
    this.compare?.clear();
    try {
      this.load(d.patch);
    } catch (e) {
      this.showError(e);
      return;
    }
    this.select(null);
    this.setTab(d.panel, false);
    this.play();
    this.clearShow();
    this.applyView({ show: ['fleet', d.chart ? `chart:${d.chart}` : null, d.show].filter(Boolean), highlight: d.highlight });
    this.tipFor(d.panel, id);
  }

  // ------------------------------------------------------------------ view (lessons, demos)

  setTab(tab, focus) {
    if (!TABS.includes(tab)) return;
    this.tab = tab;
    for (const [name, { btn, pane }] of Object.entries(this.tabs ?? {})) {
      const on = name === tab;
      btn.setAttribute('aria-selected', String(on));
      btn.tabIndex = on ? 0 : -1;
      pane.hidden = !on;
    }
    if (focus) this.tabs[tab].btn.focus();
    this.charts?.resize();
    this.writeUrlSoon();
  }

  /** A lesson step's or demo's `view`: tab, speed, what to show and highlight. */
  applyView(view) {
    if (view.tab) this.setTab(view.tab, false);
    if (view.speed) this.setSpeed(view.speed);
    this.clearShow();
    this.shown = (view.show ?? []).filter((x) => typeof x === 'string');
    for (const name of this.shown) {
      if (name.startsWith('chart:')) this.feature(name.slice(6));
      if (name.startsWith('log:')) this.eventLog.only(name.slice(4));
      if (name === 'keys') this.setTab('balancer', false);
      if (name === 'registry') this.setTab('registry', false);
      if (name === 'decisions') this.setTab('autoscaler', false);
    }
    this.markShown();
    if (view.highlight) this.highlight(view.highlight);
    const first = this.shown.map((n) => this.showTarget(n)).find(Boolean);
    (first ?? this.stage).scrollIntoView({ block: 'nearest', behavior: smooth() });
    if (this.shown.includes('fleet') || !first) this.stage.scrollIntoView({ block: 'nearest', behavior: smooth() });
  }

  showTarget(name) {
    if (name === 'fleet') return this.stage;
    if (name.startsWith('chart:')) return document.getElementById(`chart-${name.slice(6)}`);
    if (name.startsWith('log')) return this.eventLog.el;
    return document.querySelector(`[data-show="${CSS.escape(name)}"]`);
  }

  markShown() {
    for (const el of document.querySelectorAll('.shown')) el.classList.remove('shown');
    for (const n of this.shown) this.showTarget(n)?.classList.add('shown');
  }

  clearShow() {
    this.shown = [];
    for (const el of document.querySelectorAll('.shown')) el.classList.remove('shown');
    this.eventLog?.only(null);
  }

  /** Points at an instance (selects it), a chart, a number or the log. */
  highlight(hl, event) {
    if (hl.instance === 'event' && event?.instance != null) this.select(event.instance);
    else if (Number.isInteger(hl.instance)) this.select(hl.instance);
    if (typeof hl.chart === 'string') {
      const id = hl.chart.replace(/^chart:/, '');
      this.feature(id);
      document.getElementById(`chart-${id}`)?.classList.add('shown');
    }
    const path = hl.value ?? hl.number;
    if (typeof path === 'string') {
      // the readout showing that value, else one showing the same quantity, else the arithmetic
      const all = [...document.querySelectorAll('[data-value]')];
      const last = path.split('.').pop();
      const el = all.find((e) => e.dataset.value === path) ?? all.find((e) => e.dataset.value.split('.').pop() === last);
      (el?.closest('.ro, tr') ?? this.explain.el).classList.add('shown');
    }
    if (hl.log) {
      this.eventLog.el.classList.add('shown');
      if (event) this.eventLog.mark(event.seq);
    }
  }

  /** Puts a chart in the slot under the fleet (the rest stay in the grid). */
  feature(id) {
    const fig = document.getElementById(`chart-${id}`);
    if (!fig || !this.featureSlot) return;
    this.featured = id;
    const old = this.featureSlot.firstElementChild;
    if (old === fig) return;
    if (old) this.chartGrid.prepend(old);
    this.featureSlot.append(fig);
    this.charts.resize();
  }

  select(id) {
    this.selected = id;
    if (this.fleetView) this.fleetView.selected = id;
    this.inspector?.show(id);
    this.tick();
  }

  showError(e) {
    const msg = e?.kind ? errorText(e) : String(e?.message ?? e);
    text(this.alert, msg);
    this.alert.hidden = false;
  }

  /** A lesson opens: the "Start here" card has done its job. */
  lessonStarted() {
    localStorage.setItem(SEEN_KEY, '1');
    if (this.startCard) this.startCard.hidden = true;
  }

  lessonChanged() {
    this.writeUrlSoon();
  }

  // ------------------------------------------------------------------ the address

  urlParts() {
    const defaults = fleetlab.default_scenario();
    const lesson = this.lessons.active ? { lesson: this.lessons.lesson.id ?? this.lessons.file?.id, step: this.lessons.stepNo } : {};
    const scenario = this.lessons.active ? null : diff(this.sim.description(), defaults);
    return {
      scenario: scenario && Object.keys(scenario).length ? JSON.stringify(scenario) : null,
      lang,
      speed: this.speed !== 1 ? this.speed : null,
      tab: this.tab !== TABS[0] ? this.tab : null,
      ...lesson,
      t: !this.playing && !this.lessons.active && this.sim.now_s > 0 ? Math.round(this.sim.now_s * 1000) / 1000 : null,
      compare: this.compare && this.compare.choice !== this.compareDefault ? this.compare.choice : null,
      classroom: this.classroom ? 1 : null,
    };
  }

  writeUrlSoon() {
    if (!this.sim) return;
    scheduleWrite(() => this.urlParts());
  }

  /** Opens the view a link describes. */
  async openFragment(frag) {
    if (frag.speed && SPEEDS.includes(Number(frag.speed))) this.speed = Number(frag.speed);
    if (TABS.includes(frag.tab)) this.tab = frag.tab;
    this.classroom = frag.classroom === '1';
    let problem = null;
    let scenario = {};
    if (frag.scenario === null) problem = t('url.bad_encoding');
    else if (frag.scenario) scenario = frag.scenario;
    try {
      this.load(scenario);
    } catch (e) {
      problem = t('url.bad_scenario', { why: errorText(e) });
      this.load({});
    }
    this.render();
    if (frag.compare) { this.compare.setChoice(frag.compare); }
    if (problem) this.showError({ message: t.sentences(problem, t('url.showing_default')) });
    if (frag.lesson) {
      if (await this.lessons.open(frag.lesson, Number(frag.step) || 1)) return;
    }
    const tAt = Number(frag.t);
    if (frag.t != null && Number.isFinite(tAt) && tAt > 0) {
      this.replaying = true;
      await this.runTo({ until_s: Math.min(tAt, this.sim.scenario().duration_s) }, { fast: true });
      this.replaying = false;
      this.notice = t('time.paused_at', { t: fmt.s(this.sim.now_s) });
    } else {
      this.playing = true;
    }
    this.renderPlay();
    this.writeUrlSoon();
  }

  // ------------------------------------------------------------------ layout

  render() {
    this.charts?.destroy();
    // the serving panel is rebuilt too (a language switch): it keeps the pick the user chose
    const chosen = this.servingPanel?.chosen ?? null;
    this.servingPanel?.chart.destroy();
    const root = document.getElementById('app');
    this.alert = h('div', { class: 'banner banner-error', role: 'alert', hidden: true });
    fill(root, header(this), this.alert, h('main', { class: 'layout', id: 'main' },
      stage(this), side(this), controls(this), charts(this), comparison(this), race(this)), footer(this));
    document.body.classList.toggle('classroom', this.classroom);
    document.documentElement.classList.toggle('classroom', this.classroom);
    this.servingPanel.chosen = chosen;
    this.makeFleetView();
    this.charts.mount();
    this.feature(this.featured);
    this.charts.setHeight(this.chartHeight());
    this.setTab(this.tab, false);
    this.refreshForms();
    this.eventLog.onLog(null);
    this.feed.next = 0;
    this.feed.poll(this.sim);
    this.decisions.onLog(null);
    this.lessons.render();
    this.renderPlay();
    this.markShown();
    this.lastTotal = -1;
    this.viewDirty = true;
    this.tick();
  }

  makeFleetView() {
    this.fleetView = new FleetView(this.canvas, { fields: viewFields, codes, t, fmt });
    this.fleetView.selected = this.selected;
    this.failures = null;
    if (faults.FailureOverlay && !this.fleetView.overlay) {
      this.failures = new faults.FailureOverlay();
      this.fleetView.overlay = (ctx, v) => this.failures.draw(ctx, v);
    }
    this.viewDirty = true;
  }

  async startHere() {
    localStorage.setItem(SEEN_KEY, '1');
    if (this.startCard) this.startCard.hidden = true;
    const list = await this.lessons.loadIndex();
    if (list.length) await this.lessons.open(list[0].id, 1);
    else this.lessons.showMenu();
  }

  choose(path, value, errEl) {
    try {
      this.edit(path, value);
      text(errEl, '');
    } catch (e) {
      text(errEl, errorText(e));
    }
  }

  recoverAll() {
    for (const c of this.sim.explain().conditions) {
      if (c.lifecycle === 'crashed' || c.flags !== 0 || c.speed !== 1) {
        try { this.sim.fault(c.instance, 'recover', 1); } catch (e) { this.showError(e); }
      }
    }
    this.afterChange();
  }

  tipFor(panel, id) {
    for (const [name, el] of Object.entries(this.tips ?? {})) text(el, name === panel ? t(`try.${id}.tip`, tryParams(id)) : '');
  }

  async switchLang(l) {
    await setLang(l);
    this.render();
    this.lessons.render();
    if (!this.lessons.menu.hidden) this.lessons.showMenu();
    this.writeUrlSoon();
  }

  toggleClassroom() {
    this.classroom = !this.classroom;
    document.body.classList.toggle('classroom', this.classroom);
    document.documentElement.classList.toggle('classroom', this.classroom);
    document.getElementById('btn-classroom')?.setAttribute('aria-pressed', String(this.classroom));
    this.charts.setHeight(this.chartHeight());
    this.writeUrlSoon();
    requestAnimationFrame(() => this.charts.resize());
  }

  /** Charts' height: small multiples, or in classroom mode a share of the screen. */
  chartHeight() {
    return this.classroom ? Math.max(150, Math.round(window.innerHeight * 0.24)) : 170;
  }

  toggleDetails() {
    this.details = !this.details;
    document.getElementById('btn-details')?.setAttribute('aria-pressed', String(this.details));
    if (this.telemetry) this.telemetry.hidden = !this.details;
  }

  canvasKey(e) {
    const ids = this.fleetView.order ?? [];
    if (!ids.length) return;
    if (e.key === 'Escape') { this.select(null); return; }
    const i = ids.indexOf(this.selected);
    const cols = this.fleetView.g?.cols ?? Math.max(1, Math.round(Math.sqrt(ids.length)));
    const d = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols }[e.key];
    if (d == null) return;
    e.preventDefault();
    this.select(ids[Math.max(0, Math.min(ids.length - 1, i < 0 ? 0 : i + d))]);
  }

  async saveFleetPng() {
    const src = this.fleetView.toPNG ? this.fleetView.toPNG() : document.getElementById('fleet');
    download(await pngBlob(src), 'fleetlab-fleet.png');
  }

  async saveChartPng(id) {
    download(await this.charts.png(id), `fleetlab-${id}.png`);
  }

  renderPlay() {
    if (!this.btnPlay) return;
    text(this.btnPlay, t(this.playing ? 'header.pause' : 'header.play'));
    this.btnPlay.setAttribute('aria-pressed', String(this.playing));
  }

  renderTime() {
    if (!this.timeSlider) return;
    const hz = this.sim.horizon_s;
    if (!this.dragging) {
      this.timeSlider.max = String(Math.max(hz, 0.001));
      this.timeSlider.value = String(this.seekTo ?? this.sim.now_s);
    }
    this.timeSlider.setAttribute('aria-valuetext', t('time.at', { t: fmt.s(this.seekTo ?? this.sim.now_s), of: fmt.s(hz) }));
    text(this.timeText, t('time.at', { t: fmt.s(this.sim.now_s), of: fmt.s(hz) }));
    const status = this.seekTo != null || this.replaying || this.target?.fast ? t('time.replaying')
      : this.target ? t('time.running_to') : this.notice || (this.playing ? '' : t('time.paused'));
    text(this.timeStatus, status);
    this.timeStatus.dataset.replaying = String(this.seekTo != null || !!this.replaying || !!this.target?.fast);
  }

  // ------------------------------------------------------------------ reading the run

  refreshForms() {
    if (!this.forms || !this.sim) return;
    const sc = this.sim.scenario();
    for (const f of Object.values(this.forms)) {
      f.update(sc);
      // a panel with no settings for this choice (no autoscaler) shows none
      f.el.closest('details.settings')?.toggleAttribute('hidden', !f.el.childElementCount);
    }
    const paths = ['instances.count', 'traffic.rate_rps', 'instances.capacity_rps'];
    this.mainFields?.forEach((m, i) => m.follow(getPath(sc, paths[i])));
    if (document.activeElement !== this.selAlgo) this.selAlgo.value = sc.balancer.algorithm;
    if (document.activeElement !== this.selKind) this.selKind.value = sc.autoscaler.kind;
    text(this.algoNote, t(`algo.${sc.balancer.algorithm}`));
    text(this.kindNote, t(`kind.${sc.autoscaler.kind}`));
    this.keyView?.show(KEYED.includes(sc.balancer.algorithm) && sc.traffic.keys > 0);
    const fig = document.getElementById('chart-autoscaler');
    if (fig) fig.hidden = sc.autoscaler.kind === 'none';
    for (const id of ['ttft', 'tpot']) {
      const f = document.getElementById(`chart-${id}`);
      if (f) f.hidden = sc.instances.model !== 'llm';
    }
    const a = sc.autoscaler;
    this.charts?.setBand(a.kind === 'hpa' ? { target: a.target_utilization_pct, lo: a.target_utilization_pct * (1 - a.tolerance.scale_down), hi: a.target_utilization_pct * (1 + a.tolerance.scale_up) }
      : a.kind !== 'none' ? { target: a.target_utilization_pct, lo: a.target_utilization_pct, hi: a.target_utilization_pct } : null);
    this.hpaExport?.el.toggleAttribute('hidden', a.kind !== 'hpa');
    this.hpaExport?.refresh();
    if (this.fleetView) {
      // the drawing's small label: the name without its parenthesis (the systems that use it)
      this.fleetView.algorithm = nameOf('balancer.algorithm', sc.balancer.algorithm).replace(/\s*[(（].*[)）]\s*$/, '');
      this.fleetView.loadLabel = `L = ${fmt.rps(sc.traffic.rate_rps)}`;
      this.fleetView.queueLimit = sc.instances.queue_limit;
    }
  }

  /** Four times a second: numbers, text, tables, the log, the address. */
  tick() {
    const sim = this.sim;
    if (!sim || !this.explain) return;
    this.feed.poll(sim);
    const det = sim.details();
    const ex = sim.explain();
    const key = JSON.stringify([det.desired, det.offered_rps, det.capacity_rps]);
    if (key !== this.settingsKey) { this.settingsKey = key; this.refreshForms(); }
    const tl = this.lastTl;
    // the last sampled second's figures; none before the first second ends (— on screen)
    const last = (col) => (tl?.[col]?.length ? tl[col][tl[col].length - 1] : null);
    const algorithm = sim.scenario().balancer.algorithm;
    // rows are read only where shown: a 100,000-instance fleet makes this costly
    const rows = this.tab === 'registry' || KEYED.includes(algorithm) ? readRows(sim, KEYED.includes(algorithm) ? Infinity : 200) : [];
    this.explain.update(ex, det, { p99: last('p99_s'), throughput: last('throughput_rps') }, rows, algorithm);
    if (this.selected != null) this.inspector.update(readRow(sim, this.selected));
    this.servingPanel?.update(sim, ex);
    if (this.tab === 'registry') this.registryTable.update(rows, this.selected, sim.view_len() / viewFields.length);
    text(this.fleetSummary, t('fleet.summary', {
      ready: fmt.int(det.ready), members: fmt.int(det.members), in_view: fmt.int(det.in_view),
      cap: fmt.rps(ex.ready_capacity_rps), offered: fmt.rps(det.offered_rps),
    }));
    // key_owners() rebuilds the balancer's view when it is due (a core issue: reading changes
    // when the rebuild is logged), so never during a lesson step's run
    if (this.keyView && !this.keyView.container.hidden && !this.target) this.keyView.refresh(sim, det, sim.scenario().balancer.algorithm, sim.scenario().traffic.keys);
    if (this.failures) this.failures.observe(det.requests.failed, this.fleetView);
    this.compare?.markStale();
    const p = this.perf;
    text(this.telemetry, t('telemetry', {
      t: fmt.s(sim.now_s), events: fmt.int(sim.events_processed), frame: fmt.num(p.frameMs), advance: fmt.num(p.advMs),
      achieved: fmt.times(p.achieved * this.speed),
    }));
    this.renderTime();
    if (!this.playing || this.settingsKeyUrl !== key) { this.settingsKeyUrl = key; this.writeUrlSoon(); }
  }

  frame(now) {
    const dt = Math.min(0.1, Math.max(0, (now - (this.last ?? now)) / 1000));
    this.last = now;
    const t0 = performance.now();
    const sim = this.sim;
    const p = this.perf;
    let advanced = false;
    if (sim && this.seekTo != null) {
      if (sim.seek(this.seekTo, SEEK_EVENTS)) this.afterSeek();
      advanced = true;
    } else if (sim && (this.playing || this.target) && dt > 0) {
      const g = this.target;
      // the time left to the lesson's moment, plus half a nanosecond: the core rounds seconds
      // down to whole nanoseconds, so this lands exactly on it
      const limit = () => {
        const end = g?.until_s ?? g?.max_s;
        return end == null ? Infinity : Math.max(0, end - sim.now_s + 5e-10);
      };
      if (g?.fast) {
        // as fast as the frame allows, to the step's moment
        while (performance.now() - t0 < FAST_MS && this.target === g) {
          const want = Math.min(limit(), 3600);
          if (want <= 1e-9) break;
          sim.advance_budget(want, 200000);
          if (this.checkStop(g)) break;
        }
        advanced = true;
      } else {
        const left = limit();
        const want = left <= 1e-9 ? 0 : Math.min(this.speed * dt, left);
        const ev0 = sim.events_processed;
        const a0 = performance.now();
        const got = want > 0 ? sim.advance_budget(want, p.budget) : 0;
        const took = performance.now() - a0;
        const ev = sim.events_processed - ev0;
        if (ev > 100 && took > 0.3) p.evPerMs = 0.85 * p.evPerMs + 0.15 * (ev / took);
        p.budget = Math.max(200, Math.min(5e6, Math.floor(p.evPerMs * ADVANCE_MS)));
        if (want > 0) p.achieved = 0.9 * p.achieved + 0.1 * Math.min(1, got / want);
        p.advMs = 0.9 * p.advMs + 0.1 * took;
        advanced = got > 0;
        this.checkStop(g);
      }
    }
    if (sim && (advanced || this.viewDirty)) {
      sim.refresh_view(Math.max(1.5, this.speed * 1.6));
      this.viewDirty = false;
    }
    if (sim && this.fleetView) {
      const n = sim.view_len() / viewFields.length;
      this.fleetView.update(viewArray(sim), n, dt, advanced);
      this.fleetView.draw();
    }
    if (sim) {
      const total = sim.timeline_total();
      if (total !== this.lastTotal) {
        this.lastTotal = total;
        this.lastTl = sim.timeline();
        this.charts?.update(this.lastTl);
      }
    }
    if (now - (this.slowTick ?? 0) > 250) {
      this.slowTick = now;
      this.tick();
    }
    const work = performance.now() - t0;
    p.frameMs = 0.9 * p.frameMs + 0.1 * work;
    if (p.times.push(work) > 600) p.times.shift();
    requestAnimationFrame((n) => this.frame(n));
  }

  /** After an advance: a breakpoint or the lesson's moment stops the clock. True when stopped. */
  checkStop(g) {
    const br = this.sim.take_break();
    if (br >= 0) {
      if (g?.until) {
        const e = this.sim.log_since(br).find((x) => x.seq === br);
        if (e && e.kind === g.until) { this.finishTarget(e); return true; }
      }
      this.playing = false;
      this.notice = this.breakNotice(br);
      this.renderPlay();
      this.renderTime();
      this.writeUrlSoon();
      return true;
    }
    if (g && this.targetReached()) { this.finishTarget(null); return true; }
    return false;
  }
}

function setPath(obj, path, value) {
  const parts = path.split('.');
  let node = obj;
  for (const p of parts.slice(0, -1)) node = node[p] ?? (node[p] = {});
  node[parts[parts.length - 1]] = value;
}


