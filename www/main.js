// Wiring and the frame loop. JS holds no simulation state: it sends settings to the wasm
// Simulation and reads state out (small objects, plus a Float32Array view per frame).
import init, { Simulation, codes, theory_readout, random_seed, default_scenario } from './pkg/fleetlab.js';
import { NumberControl, logScale, nice } from './controls.js';
import { FleetView } from './fleet-view.js';
import { Charts } from './charts.js';
import { TheoryPanel } from './theory-panel.js';
import { readScenarioFromHash, scheduleHashUpdate } from './url-state.js';
import { num, int, ms, pct } from './format.js';
import { setupTabs, EventLog } from './panels.js';
import { BalancerPanel } from './balancer-panel.js';
import { AutoscalerPanel } from './autoscaler-panel.js';
import { RegistryPanel } from './registry-panel.js';
import { FaultMarks } from './faults.js';

const $ = (id) => document.getElementById(id);

const wasm = await init();
const defaults = default_scenario();
const fields = Simulation.view_fields();

const loadError = $('load-error');
const status = $('status');
const fleet = new FleetView($('fleet'), { fields, codes: codes(), fmt: { num, int, pct, ms } });
const charts = new Charts();
const theory = new TheoryPanel(theory_readout);
const eventLog = new EventLog($('event-log'));
setupTabs(document.querySelector('.tabs'));
// registry tab, fault markers on the charts (registry-panel.js, faults.js)
const registry = new RegistryPanel({ root: $('registry-panel'), live: $('registry-live'), log: $('event-log'), getSim: () => sim, fleet, onChange: () => settingsChanged() });
const faultMarks = new FaultMarks();
faultMarks.attach(charts);
let faultSim = null;

/** @type {Simulation} */
let sim = null;
let playing = true;
let speed = 1;
let lastTotal = -1;
let viewDirty = true;

function build(scenario, { hash = true } = {}) {
  const next = new Simulation(scenario); // throws Error naming the field
  if (sim) sim.free();
  sim = next;
  lastTotal = -1;
  viewDirty = true;
  charts.clear();
  eventLog.reset();
  fleet.reset();
  syncControlsFromSim();
  lastSettingsKey = '';
  settingsChanged({ hash });
}

// ---------------------------------------------------------------- controls
const rangeN = logScale(1, 1000, Math.round);
const rangeL = logScale(1, 100000, nice);
const rangeC = logScale(1, 10000, nice);

const live = () => sim.details();

const ctlN = new NumberControl({
  input: $('in-n'), slider: $('rg-n'), err: $('err-n'), scale: rangeN, step: 1,
  apply: (v) => sim.set_instances(v),
  keeping: () => `N = ${int(live().desired)}`,
});
const ctlL = new NumberControl({
  input: $('in-l'), slider: $('rg-l'), err: $('err-l'), scale: rangeL, step: 10,
  apply: (v) => sim.set_load(v),
  keeping: () => `L = ${num(live().offered_rps)} req/s`,
});
const ctlC = new NumberControl({
  input: $('in-c'), slider: $('rg-c'), err: $('err-c'), scale: rangeC, step: 10,
  apply: (v) => sim.set_capacity(v),
  keeping: () => `C = ${num(live().capacity_rps)} req/s`,
});
const ctlSeed = new NumberControl({
  input: $('in-seed'), err: $('err-seed'), step: 1, event: 'change',
  apply: (v) => {
    if (v === sim.scenario().seed) return;
    build({ ...sim.scenario(), seed: v });
  },
  keeping: () => `seed ${sim.scenario().seed}`,
});
for (const c of [ctlN, ctlL, ctlC]) {
  const orig = c.commit.bind(c);
  c.commit = (raw) => {
    const ok = orig(raw);
    if (ok) settingsChanged();
    return ok;
  };
}
$('btn-seed').addEventListener('click', () => {
  const seed = random_seed();
  ctlSeed.set(seed);
  ctlSeed.commit(String(seed));
});

// "Try L = 450" buttons in the explanations
$('explain').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-load]');
  if (!b) return;
  ctlL.set(Number(b.dataset.load));
  ctlL.commit(b.dataset.load);
  $('in-l').focus();
});

// the Balancer tab (balancer-panel.js): algorithm, options, keys, key view, weights, comparison
const balancer = new BalancerPanel({ getSim: () => sim, changed: () => settingsChanged(), fleet });

// the Autoscaler tab (autoscaler-panel.js): settings, decisions, presets, chart, HPA export
const autoscaler = new AutoscalerPanel({ getSim: () => sim, build, settingsChanged });

const btnPlay = $('btn-play');
btnPlay.addEventListener('click', () => {
  playing = !playing;
  btnPlay.textContent = playing ? 'Pause' : 'Play';
  btnPlay.setAttribute('aria-pressed', String(playing));
});
const selSpeed = $('sel-speed');
selSpeed.addEventListener('change', () => { speed = Number(selSpeed.value); });

function syncControlsFromSim() {
  const sc = sim.scenario();
  ctlN.set(sc.instances.count);
  ctlL.set(sc.traffic.rate_rps);
  ctlC.set(sc.instances.capacity_rps);
  ctlSeed.set(sc.seed);
  balancer.sync();
  autoscaler.sync();
  fleet.queueLimit = sc.instances.queue_limit;
}

/** After any accepted change: theory, measured-since window, URL. */
let lastSettingsKey = '';
function settingsChanged({ hash = true } = {}) {
  const d = sim.details();
  const s = { L: d.offered_rps, N: d.desired, C: d.capacity_rps, algorithm: sim.scenario().balancer.algorithm };
  const key = JSON.stringify(s);
  if (key !== lastSettingsKey) {
    lastSettingsKey = key;
    theory.settings(s);
    theory.markChange(d);
    theory.measured(d);
    fleet.algorithm = s.algorithm.replace(/_/g, ' ');
    fleet.loadLabel = `L = ${num(s.L)} req/s`;
  }
  viewDirty = true;
  if (hash) scheduleHashUpdate(() => sim.description(), defaults);
}

// ---------------------------------------------------------------- inspector
const insp = $('inspector');
const canvas = $('fleet');
function select(id) {
  fleet.selected = id;
  insp.hidden = id == null;
  $('err-fault').textContent = '';
  renderInspector();
}
function renderInspector() {
  balancer.inspect(fleet.selected);
  if (fleet.selected == null) return;
  const d = fleet.describe(fleet.selected);
  if (!d) { $('insp-body').textContent = 'This instance has stopped and left the fleet.'; return; }
  $('insp-title').textContent = `Instance #${d.id} — ${d.lifecycle}`;
  $('insp-body').textContent =
    `registry: ${d.registry}${d.inView ? '' : ' (not in the balancer’s view)'} · lease ${num(d.leaseLeft)} s · ` +
    `queue ${int(d.queue)} + ${int(d.inService)} in service · utilisation ${pct(d.util)} · ` +
    `completed ${int(d.completed)}, dropped ${int(d.dropped)}, failed ${int(d.failed)} · speed ×${num(d.speed)}` +
    (d.flags.length ? ` · ${d.flags.join(', ')}` : '');
}
canvas.addEventListener('click', (e) => {
  const r = canvas.getBoundingClientRect();
  select(fleet.hit(e.clientX - r.left, e.clientY - r.top));
});
canvas.addEventListener('keydown', (e) => {
  const ids = fleet.order;
  if (!ids.length) return;
  const i = ids.indexOf(fleet.selected);
  const cols = fleet.g?.cols ?? 1;
  const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols }[e.key];
  if (step) {
    e.preventDefault();
    select(ids[Math.max(0, Math.min(ids.length - 1, i < 0 ? 0 : i + step))]);
  } else if (e.key === 'Escape') select(null);
});
$('insp-close').addEventListener('click', () => { select(null); canvas.focus(); });
insp.addEventListener('keydown', (e) => { if (e.key === 'Escape') { select(null); canvas.focus(); } });
for (const b of insp.querySelectorAll('[data-fault]')) {
  b.addEventListener('click', () => {
    const kind = b.dataset.fault;
    try {
      sim.fault(fleet.selected, kind, kind === 'slow' ? 0.25 : 1);
      $('err-fault').textContent = '';
      viewDirty = true;
    } catch (e) {
      $('err-fault').textContent = e.message;
    }
  });
}

// ---------------------------------------------------------------- start
{
  const { scenario, error } = readScenarioFromHash();
  let msg = error;
  if (!msg) {
    try {
      build(scenario ?? {}, { hash: false });
    } catch (e) {
      msg = `The scenario in this link is invalid: ${e.message}`;
    }
  }
  if (msg) {
    loadError.hidden = false;
    loadError.textContent = `${/^The scenario/.test(msg) ? msg : `Could not load the link: ${msg}`}. Showing the default scenario instead.`;
    build({}, { hash: false });
  }
}

// ---------------------------------------------------------------- frame loop
let last = performance.now();
let evPerMs = 2000; // measured simulation speed, events per ms of advance()
let budget = 12000;
let achieved = 1;
let frameMs = 0, advMs = 0;
const frameTimes = [];
let slowTick = 0;
const ADVANCE_MS = 6;

function frame(now) {
  const dt = Math.min(0.1, Math.max(0, (now - last) / 1000));
  last = now;
  const t0 = performance.now();
  let advanced = false, simDt = 0;
  if (playing && dt > 0) {
    const want = speed * dt;
    const ev0 = sim.events_processed;
    const a0 = performance.now();
    const got = sim.advance_budget(want, budget);
    const took = performance.now() - a0;
    const ev = sim.events_processed - ev0;
    if (ev > 100 && took > 0.3) evPerMs = 0.85 * evPerMs + 0.15 * (ev / took);
    budget = Math.max(200, Math.min(5e6, Math.floor(evPerMs * ADVANCE_MS)));
    achieved = 0.9 * achieved + 0.1 * Math.min(1, got / want);
    advMs = 0.9 * advMs + 0.1 * took;
    advanced = got > 0;
    simDt = got;
  }
  if (advanced || viewDirty) {
    sim.refresh_view(Math.max(1.5, speed * 1.6));
    viewDirty = false;
  }
  const n = sim.view_len() / fields.length;
  const view = new Float32Array(wasm.memory.buffer, sim.view_ptr(), sim.view_len());
  fleet.update(view, n, dt, advanced, simDt);
  fleet.draw();

  const total = sim.timeline_total();
  if (total !== lastTotal) {
    lastTotal = total;
    const tl = sim.timeline();
    charts.update(tl);
    autoscaler.timeline(tl);
    const k = tl.p99_s.length - 1;
    theory.lastP99(k >= 0 ? tl.p99_s[k] : null);
  }

  if (now - slowTick > 250) {
    slowTick = now;
    tick();
  }
  const work = performance.now() - t0;
  frameMs = 0.9 * frameMs + 0.1 * work;
  // The last 600 frames' work (advance + draw), for `make bench`.
  if (frameTimes.push(work) > 600) frameTimes.shift();
  requestAnimationFrame(frame);
}

function tick() {
  const d = sim.details();
  // an autoscaler or scheduled traffic change moves N or L on its own: follow it
  ctlN.follow(d.desired);
  ctlL.follow(d.offered_rps);
  settingsChanged({ hash: false });
  theory.measured(d);
  if (faultSim !== sim) { faultSim = sim; faultMarks.reset(); }
  const entries = sim.log_since(eventLog.next);
  eventLog.append(entries);
  faultMarks.add(entries);
  registry.tick(d);
  autoscaler.tick(d);
  renderInspector();
  $('fleet-summary').textContent =
    `${int(d.ready)} ready of ${int(d.members)} · ${int(d.in_view)} in the balancer's view · capacity ${num(d.ready * d.capacity_rps)} req/s for ${num(d.offered_rps)} req/s offered`;
  const behind = playing && achieved < 0.9;
  status.innerHTML =
    `t = ${num(sim.now_s)} s · ${int(sim.events_processed)} events · frame ${num(frameMs)} ms (advance ${num(advMs)} ms) · ` +
    (playing ? `${num(speed)}× real time` : 'paused') +
    (behind ? ` · <span class="slow">running at ${num(achieved)}× of requested speed (${num(achieved * speed)}× real time): the simulation cannot keep up</span>` : '');
}

requestAnimationFrame(frame);
window.fleetlab = { get sim() { return sim; }, fleet, frameTimes };
