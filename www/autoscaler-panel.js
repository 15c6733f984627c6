// The Autoscaler tab: the seed's rule N = ceil(L / (C × target)) and the Kubernetes HPA, with
// every setting editable. The form is read whole on each edit and sent to sim.set_autoscaler();
// when the core (or the number parser here) rejects a value, the message naming the field is
// shown next to that control (role="alert", aria-invalid) and the simulation keeps its last
// good autoscaler. Also: the decision log (the controller's reasons, from the event log), the
// cost of the seed's rule at 100 %, traffic presets, the HPA YAML export and the chart.
import { AutoscalerChart } from './autoscaler-chart.js';
import { HpaExport } from './hpa-export.js';
import { PRESETS, presetScenario } from './presets.js';
import { num, int, ms } from './format.js';

const $ = (id) => document.getElementById(id);

const EXPLAIN = {
  none: 'No autoscaler: N stays where you set it. Find by hand the smallest N that keeps latency acceptable, then let a controller try.',
  formula: 'The seed’s rule: each sync, N = ceil(L / (C × target)) within [min, max], in one jump. At the seed’s 100 % it buys ' +
    'just enough capacity for L: every instance at ρ ≈ 1, no headroom for bursts.',
  hpa: 'Kubernetes’ HorizontalPodAutoscaler (autoscaling/v2, CPU Utilization; replica_calculator.go, horizontal.go): each sync, ' +
    'ceil(pods × utilization / target) unless within the tolerance, starting pods counted pessimistically, then the ' +
    'stabilization window and the rate limits.',
};

// The core's defaults (src/scenario.rs), used when a kind is chosen for the first time.
const DEFAULTS = {
  formula: { kind: 'formula', target_utilization_pct: 100, min_replicas: 1, max_replicas: 1000, sync_s: 15, source: 'offered' },
  hpa: { kind: 'hpa', min_replicas: 1, max_replicas: 100, target_utilization_pct: 80, tolerance: { scale_down: 0.1, scale_up: 0.1 }, behavior: null, sync_s: 15 },
};
// Kubernetes' default behavior (pkg/apis/autoscaling/v2/defaults.go), written out so it can be edited.
const K8S_BEHAVIOR = {
  scale_up: { stabilization_window_s: 0, select_policy: 'max', policies: [{ kind: 'percent', value: 100, period_s: 15 }, { kind: 'pods', value: 4, period_s: 15 }] },
  scale_down: { stabilization_window_s: 300, select_policy: 'max', policies: [{ kind: 'percent', value: 100, period_s: 15 }] },
};
const DIRS = [
  ['scale_up', 'Scale up', 'default 0 s'],
  ['scale_down', 'Scale down', 'default 300 s'],
];
const BEHAVIOR_OFF = 'Off: the controller’s path without behavior — scale up at most to max(2 × current, 4) per sync, scale down only to the highest recommendation of the last 300 s.';
const BEHAVIOR_ON = 'A direction with no policies gets Kubernetes’ defaults (up: max(100 %, 4 pods) per 15 s; down: 100 % per 15 s); an empty window means the default (up 0 s, down 300 s).';
const LOG_MAX = 80;

const clone = (o) => JSON.parse(JSON.stringify(o));

/** Serde's wording → the page's. */
function friendly(msg) {
  return msg
    .replace(/invalid type: floating point `([^`]*)`, expected u32/, 'must be a whole number, got $1')
    .replace(/invalid value: integer `(-[^`]*)`, expected u32/, 'must be a whole number ≥ 0, got $1')
    .replace(/invalid value: integer `([^`]*)`, expected u32/, 'must be at most 4294967295, got $1');
}

export class AutoscalerPanel {
  /**
   * @param {object} o
   * @param {() => import('./pkg/fleetlab.js').Simulation} o.getSim
   * @param {(scenario: object) => void} o.build  restarts the run from a scenario (throws on bad input)
   * @param {() => void} o.settingsChanged  tells the page an accepted change happened (URL, theory)
   */
  constructor({ getSim, build, settingsChanged }) {
    this.getSim = getSim;
    this.build = build;
    this.settingsChanged = settingsChanged;
    this.kindSel = $('sel-autoscaler');
    this.fields = $('as-fields');
    this.dirsEl = $('as-behavior-dirs');
    this.behaviorBox = $('as-behavior');
    this.logEl = $('as-log');
    this.cost = $('as-cost');
    this.fig = $('fig-as');
    this.chart = new AutoscalerChart($('ch-as'));
    this.exporter = new HpaExport(() => this.getSim()?.scenario().autoscaler);
    /** the form's behavior when on (kept while it is switched off) */
    this.behavior = clone(K8S_BEHAVIOR);
    /** last good config per kind, so switching kinds back and forth restores them */
    this.remember = clone(DEFAULTS);
    this.logNext = 0;
    this.logSim = null;

    this.kindSel.addEventListener('change', () => {
      const kind = this.kindSel.value;
      if (kind !== 'none') this.fill(this.remember[kind]);
      this.showKind(kind);
      this.apply();
    });
    // text fields apply on every keystroke; selects on change (Chrome fires both for a select)
    this.fields.addEventListener('input', (e) => { if (e.target.tagName === 'INPUT' && e.target.type === 'text' && e.target.id !== 'as-startup') this.apply(); });
    this.fields.addEventListener('change', (e) => { if (e.target.tagName === 'SELECT') this.apply(); });
    this.behaviorBox.addEventListener('change', () => {
      this.renderBehavior(this.behaviorBox.checked ? this.behavior : null);
      this.apply();
    });
    this.dirsEl.addEventListener('click', (e) => this.onPolicyButton(e));
    $('as-startup').addEventListener('change', () => this.applyStartup());
    this.buildPresets();
  }

  // ------------------------------------------------------------------ form <-> config
  /** Fills the form from a config (of kind formula or hpa). */
  fill(cfg) {
    const d = DEFAULTS[cfg.kind];
    const v = { ...d, ...cfg };
    $('as-target').value = String(v.target_utilization_pct);
    $('as-sync').value = String(v.sync_s);
    $('as-min').value = String(v.min_replicas);
    $('as-max').value = String(v.max_replicas);
    if (cfg.kind === 'formula') $('as-source').value = v.source;
    if (cfg.kind === 'hpa') {
      $('as-tol-down').value = String(v.tolerance.scale_down);
      $('as-tol-up').value = String(v.tolerance.scale_up);
      if (v.behavior) {
        // a direction the config leaves out gets Kubernetes' defaults, shown as such
        this.behavior = {
          scale_up: v.behavior.scale_up ?? { stabilization_window_s: null, select_policy: 'max', policies: [] },
          scale_down: v.behavior.scale_down ?? { stabilization_window_s: null, select_policy: 'max', policies: [] },
        };
      }
      this.renderBehavior(v.behavior ? this.behavior : null);
    }
  }

  showKind(kind) {
    for (const el of document.querySelectorAll('#pane-autoscaler [data-kinds]')) {
      el.hidden = !el.dataset.kinds.split(' ').includes(kind);
    }
    $('as-kind-note').textContent = EXPLAIN[kind] ?? '';
    const wasHidden = this.fig.hidden;
    this.fig.hidden = kind === 'none';
    if (wasHidden && !this.fig.hidden) requestAnimationFrame(() => this.chart.resize());
  }

  renderBehavior(behavior) {
    this.behaviorBox.checked = !!behavior;
    $('as-behavior-hint').textContent = behavior ? BEHAVIOR_ON : BEHAVIOR_OFF;
    this.dirsEl.textContent = '';
    if (!behavior) return;
    for (const [dir, title, winDefault] of DIRS) {
      const r = behavior[dir];
      const fs = document.createElement('fieldset');
      fs.className = 'as-dir';
      fs.dataset.dir = dir;
      const p = `as-${dir}`;
      fs.innerHTML = `
        <legend>${title}</legend>
        <div class="as-row">
          <div class="as-field">
            <label for="${p}-win">Stabilization window (s)</label>
            <input id="${p}-win" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" placeholder="${winDefault}"
              data-path="behavior.${dir}.stabilization_window_s" data-type="int-or-null" aria-describedby="err-${p}-win">
          </div>
          <div class="as-field">
            <label for="${p}-select">Select policy</label>
            <select id="${p}-select" data-path="behavior.${dir}.select_policy" title="Max: the policy allowing the largest change; Min: the smallest; Disabled: never scale ${dir === 'scale_up' ? 'up' : 'down'}">
              <option value="max">Max</option>
              <option value="min">Min</option>
              <option value="disabled">Disabled</option>
            </select>
          </div>
        </div>
        <p class="err" id="err-${p}-win" role="alert"></p>
        <table class="as-policies">
          <caption class="vh">${title} policies</caption>
          <thead><tr><th scope="col">policy</th><th scope="col">value</th><th scope="col">period (s)</th><th scope="col"><span class="vh">remove</span></th></tr></thead>
          <tbody></tbody>
        </table>
        <p class="hint as-nopol" hidden>No policies: Kubernetes’ defaults apply.</p>
        <button type="button" class="as-add" data-add="${dir}">Add ${title.toLowerCase()} policy</button>`;
      fs.querySelector(`#${p}-win`).value = r.stabilization_window_s == null ? '' : String(r.stabilization_window_s);
      fs.querySelector(`#${p}-select`).value = r.select_policy ?? 'max';
      const tb = fs.querySelector('tbody');
      r.policies.forEach((pol, i) => tb.append(this.policyRow(dir, title, i, pol)));
      fs.querySelector('.as-nopol').hidden = r.policies.length > 0;
      this.dirsEl.append(fs);
    }
  }

  policyRow(dir, title, i, pol) {
    const tr = document.createElement('tr');
    const base = `behavior.${dir}.policies[${i}]`;
    const id = `as-${dir}-p${i}`;
    const n = `${title} policy ${i + 1}`;
    tr.innerHTML = `
      <td><select id="${id}-kind" data-path="${base}.kind" aria-label="${n} type"><option value="pods">Pods</option><option value="percent">Percent</option></select></td>
      <td><input id="${id}-value" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" data-path="${base}.value" data-type="int" aria-label="${n} value" aria-describedby="err-${id}"></td>
      <td><input id="${id}-period" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" data-path="${base}.period_s" data-type="int" aria-label="${n} period (s)" aria-describedby="err-${id}"></td>
      <td><button type="button" class="ghost as-del" data-del="${dir}" data-index="${i}" aria-label="Remove ${n.toLowerCase()}">✕</button></td>`;
    tr.querySelector('select').value = pol.kind;
    tr.querySelector(`#${id}-value`).value = String(pol.value);
    tr.querySelector(`#${id}-period`).value = String(pol.period_s);
    const er = document.createElement('tr');
    er.className = 'as-perr';
    er.innerHTML = `<td colspan="4"><p class="err" id="err-${id}" role="alert"></p></td>`;
    const frag = document.createDocumentFragment();
    frag.append(tr, er);
    return frag;
  }

  onPolicyButton(e) {
    const add = e.target.closest('[data-add]');
    const del = e.target.closest('[data-del]');
    if (!add && !del) return;
    // keep what is typed in the other rows (even if invalid) across the re-render
    const b = this.readBehaviorRaw();
    if (add) b[add.dataset.add].policies.push({ kind: 'pods', value: '1', period_s: '60' });
    else b[del.dataset.del].policies.splice(Number(del.dataset.index), 1);
    this.renderBehavior(b);
    if (add) this.dirsEl.querySelector(`fieldset[data-dir="${add.dataset.add}"] tbody tr:nth-last-child(2) input`)?.focus();
    else this.dirsEl.querySelector(`fieldset[data-dir="${del.dataset.del}"] .as-add`)?.focus();
    this.apply();
  }

  /** The behavior as typed (strings), for re-rendering. */
  readBehaviorRaw() {
    const out = {};
    for (const [dir] of DIRS) {
      const fs = this.dirsEl.querySelector(`fieldset[data-dir="${dir}"]`);
      const win = fs.querySelector(`#as-${dir}-win`).value;
      out[dir] = {
        stabilization_window_s: win.trim() === '' ? null : win,
        select_policy: fs.querySelector(`#as-${dir}-select`).value,
        policies: [...fs.querySelectorAll('tbody tr:not(.as-perr)')].map((tr) => ({
          kind: tr.querySelector('select').value,
          value: tr.querySelectorAll('input')[0].value,
          period_s: tr.querySelectorAll('input')[1].value,
        })),
      };
    }
    return out;
  }

  /** Reads the form into a config; throws {el, message} for text that is not a number. */
  read(kind) {
    const val = (el) => {
      const text = el.value.trim();
      const path = `autoscaler.${el.dataset.path}`;
      if (el.dataset.type === 'int-or-null' && text === '') return null;
      if (text === '') throw { el, message: `${path}: the field is empty` };
      const v = Number(text);
      if (!Number.isFinite(v)) throw { el, message: `${path}: got "${text.slice(0, 20)}", which is not a number` };
      return v;
    };
    const cfg = { kind, target_utilization_pct: val($('as-target')), min_replicas: val($('as-min')), max_replicas: val($('as-max')), sync_s: val($('as-sync')) };
    if (kind === 'formula') cfg.source = $('as-source').value;
    if (kind === 'hpa') {
      cfg.tolerance = { scale_down: val($('as-tol-down')), scale_up: val($('as-tol-up')) };
      cfg.behavior = null;
      if (this.behaviorBox.checked) {
        cfg.behavior = {};
        for (const [dir] of DIRS) {
          const fs = this.dirsEl.querySelector(`fieldset[data-dir="${dir}"]`);
          cfg.behavior[dir] = {
            stabilization_window_s: val(fs.querySelector(`#as-${dir}-win`)),
            select_policy: fs.querySelector(`#as-${dir}-select`).value,
            policies: [...fs.querySelectorAll('tbody tr:not(.as-perr)')].map((tr) => ({
              kind: tr.querySelector('select').value,
              value: val(tr.querySelectorAll('input')[0]),
              period_s: val(tr.querySelectorAll('input')[1]),
            })),
          };
        }
        this.behavior = clone(cfg.behavior);
      }
    }
    return cfg;
  }

  /** The control a core error names ("autoscaler.behavior.scale_up.policies[0].period_s: …"). */
  controlFor(message) {
    const m = /^autoscaler\.([\w.[\]]+):/.exec(message);
    if (!m) return null;
    const path = m[1];
    return this.fields.querySelector(`[data-path="${CSS.escape(path)}"]`) ??
      // "behavior.scale_up.policies" (too many) → the direction's add button
      this.fields.querySelector(`[data-path^="${CSS.escape(path)}"]`);
  }

  clearErrors() {
    for (const el of this.fields.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const el of document.querySelectorAll('#pane-autoscaler .err')) {
      if (el.id !== 'err-as-startup' && el.id !== 'err-as-yaml-name') el.textContent = '';
    }
  }

  showError(el, message) {
    const text = `${friendly(message)}. Keeping ${this.keeping()}.`;
    const errId = el?.getAttribute('aria-describedby')?.split(/\s+/).find((id) => id.startsWith('err-'));
    const err = errId ? $(errId) : $('err-as');
    if (el && el !== this.kindSel) el.setAttribute('aria-invalid', 'true');
    err.textContent = text;
  }

  /** The simulation's current autoscaler, in words. */
  keeping() {
    const a = this.getSim().scenario().autoscaler;
    if (a.kind === 'none') return 'no autoscaler';
    const what = a.kind === 'hpa' ? 'the HPA' : 'the seed’s rule';
    return `${what} at target ${a.target_utilization_pct} %, ${a.min_replicas}–${a.max_replicas} replicas, every ${num(a.sync_s)} s`;
  }

  apply() {
    const sim = this.getSim();
    const kind = this.kindSel.value;
    this.clearErrors();
    let cfg;
    try {
      cfg = kind === 'none' ? { kind: 'none' } : this.read(kind);
    } catch (e) {
      if (e?.el) { this.showError(e.el, e.message); return false; }
      throw e;
    }
    try {
      sim.set_autoscaler(cfg);
    } catch (e) {
      this.showError(this.controlFor(e.message) ?? this.kindSel, e.message);
      return false;
    }
    if (kind !== 'none') this.remember[kind] = clone(sim.scenario().autoscaler);
    this.settingsChanged();
    this.refresh();
    return true;
  }

  applyStartup() {
    const input = $('as-startup');
    const err = $('err-as-startup');
    const sc = this.getSim().scenario();
    const text = input.value.trim();
    const v = text === '' ? NaN : Number(text);
    try {
      if (!Number.isFinite(v)) throw new Error(`instances.startup_s: must be between 0 and 3600, got "${text.slice(0, 20)}"${text === '' ? ' (empty)' : ', which is not a number'}`);
      if (v === sc.instances.startup_s) { input.removeAttribute('aria-invalid'); err.textContent = ''; return; }
      this.build({ ...sc, instances: { ...sc.instances, startup_s: v } });
      input.removeAttribute('aria-invalid');
      err.textContent = '';
    } catch (e) {
      input.setAttribute('aria-invalid', 'true');
      err.textContent = `${e.message}. Keeping ${num(sc.instances.startup_s)} s.`;
    }
  }

  /** After a new Simulation (build) or on load: the form shows the simulation's settings. */
  sync() {
    const sim = this.getSim();
    const sc = sim.scenario();
    const a = sc.autoscaler;
    this.kindSel.value = a.kind in DEFAULTS || a.kind === 'none' ? a.kind : 'none';
    if (a.kind !== 'none') {
      this.remember[a.kind] = clone(a);
      this.fill(a);
    } else {
      this.fill(this.remember.formula);
      this.fill(this.remember.hpa);
    }
    this.showKind(this.kindSel.value);
    $('as-startup').value = String(sc.instances.startup_s);
    $('as-startup').removeAttribute('aria-invalid');
    $('err-as-startup').textContent = '';
    this.clearErrors();
    this.logEl.textContent = '';
    this.logNext = 0;
    this.logSim = sim;
    this.chart.clear();
    this.refresh();
  }

  /** Band, export and cost note after the autoscaler changed. */
  refresh() {
    const a = this.getSim().scenario().autoscaler;
    if (a.kind === 'hpa') {
      const t = a.target_utilization_pct;
      this.chart.band = { target_pct: t, lo_pct: t * (1 - a.tolerance.scale_down), hi_pct: t * (1 + a.tolerance.scale_up),
        label: `target ${t} % (no change inside the band: −${num(a.tolerance.scale_down * 100)} % / +${num(a.tolerance.scale_up * 100)} %)` };
    } else if (a.kind === 'formula') {
      const t = a.target_utilization_pct;
      this.chart.band = { target_pct: t, lo_pct: t, hi_pct: t, label: `target ${t} %` };
    } else {
      this.chart.band = null;
    }
    this.chart.plot.redraw(false, false);
    this.exporter.refresh();
    this.updateCost();
  }

  // ------------------------------------------------------------------ live parts
  /** Every ~250 ms from the page's tick, with sim.details(). */
  tick(d) {
    const sim = this.getSim();
    this.chart.capacity = d.capacity_rps;
    if (sim !== this.logSim) { this.logSim = sim; this.logNext = 0; this.logEl.textContent = ''; }
    const entries = sim.log_since(this.logNext);
    if (entries?.length) {
      const frag = document.createDocumentFragment();
      for (const e of entries) {
        this.logNext = e.seq + 1;
        if (e.kind !== 'scaled' && e.kind !== 'kept') continue;
        frag.prepend(this.logItem(e));
        if (e.kind === 'scaled') this.chart.events.push({ t_s: e.t_s, from: e.from, to: e.to });
      }
      if (this.chart.events.length > 400) this.chart.events.splice(0, this.chart.events.length - 400);
      // markers for events read after the chart's last redraw (e.g. while paused)
      if (!this.fig.hidden && entries.some((e) => e.kind === 'scaled')) this.chart.plot.redraw(false, false);
      this.logEl.prepend(frag);
      while (this.logEl.childElementCount > LOG_MAX) this.logEl.lastElementChild.remove();
    }
    this.updateCost(d);
  }

  logItem(e) {
    const li = document.createElement('li');
    li.className = e.kind === 'scaled' ? 'as-scale' : 'as-keep';
    const head = e.kind === 'scaled' ? `${e.from} → ${e.to} instances` : `keep ${e.replicas}`;
    const reason = e.reason;
    const t = document.createElement('span');
    t.className = 't';
    t.textContent = `t=${num(e.t_s)} s · `;
    const b = document.createElement('b');
    b.textContent = head;
    li.append(t, b, reason ? ` · ${reason}` : '');
    return li;
  }

  /** Called with sim.timeline() when a new sample arrived. */
  timeline(tl) {
    this.lastP99 = tl.p99_s.length ? tl.p99_s[tl.p99_s.length - 1] : null;
    if (!this.fig.hidden) this.chart.update(tl);
  }

  /** What the target costs in latency: ρ ≈ target, and at 100 % no headroom at all. */
  updateCost(d = this.getSim().details()) {
    const a = this.getSim().scenario().autoscaler;
    if (a.kind === 'none') { this.cost.hidden = true; return; }
    const rho = a.target_utilization_pct / 100;
    const C = d.capacity_rps;
    const p99 = this.lastP99 == null ? '—' : ms(this.lastP99);
    const p99run = d.latency_s?.p99 == null ? '—' : ms(d.latency_s.p99);
    let text;
    if (a.kind === 'formula' && rho >= 1) {
      const now = d.ready > 0 ? d.offered_rps / (d.ready * C) : null;
      text = `<b>The cost of the seed’s rule at ${a.target_utilization_pct} %:</b> N = ceil(L / C) buys less than one instance of spare capacity, ` +
        `so each instance runs at ρ between (N − 1)/N and ${rho > 1 ? num(rho) + ' (over capacity)' : '1'}, ≈ 1 on average over loads, and exactly 1 ` +
        `whenever L is a multiple of C. Queueing theory: W = 1/(μ − λ) grows without bound as ρ → 1 (at ρ = 0.99 it is 100 service times). ` +
        `Now ρ = L/(N·C) = <b>${num(now)}</b>; measured p99: <b>${p99}</b> (last second), ${p99run} over the run.`;
      this.cost.classList.add('bad');
    } else {
      const w = 1 / (C * (1 - rho));
      text = `Target ${a.target_utilization_pct} %: each ready instance runs at ρ ≈ ${num(rho)}, leaving ${num(100 - a.target_utilization_pct)} % headroom; ` +
        `M/M/1 mean time in system 1/(C(1 − ρ)) = ${ms(w)} (service time ${ms(1 / C)}). Measured p99: <b>${p99}</b> (last second), ${p99run} over the run.`;
      this.cost.classList.remove('bad');
    }
    if (this.cost.innerHTML !== text) this.cost.innerHTML = text;
    this.cost.hidden = false;
  }

  // ------------------------------------------------------------------ presets
  buildPresets() {
    const box = $('as-presets');
    for (const [name, p] of Object.entries(PRESETS)) {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.preset = name;
      b.textContent = p.label;
      b.title = p.describe;
      box.append(b);
    }
    box.addEventListener('click', (e) => {
      const b = e.target.closest('[data-preset]');
      if (b) this.applyPreset(b.dataset.preset);
    });
  }

  applyPreset(name) {
    const sc = presetScenario(name, this.getSim().scenario());
    try {
      this.build(sc);
    } catch (e) {
      $('as-tip').textContent = `Could not start the preset: ${e.message}`;
      return;
    }
    const p = PRESETS[name];
    const a = sc.autoscaler;
    const who = a.kind === 'hpa' ? `the HPA at target ${a.target_utilization_pct} %` : `the seed’s rule at target ${a.target_utilization_pct} %`;
    // watch it happen: run, and at least 10× so a 10-minute preset takes a minute
    const speed = $('sel-speed');
    if (speed && Number(speed.value) < 10) { speed.value = '10'; speed.dispatchEvent(new Event('change')); }
    const play = $('btn-play');
    if (play?.getAttribute('aria-pressed') === 'false') play.click();
    $('as-tip').innerHTML = '';
    const strong = document.createElement('b');
    strong.textContent = `${p.label}: `;
    const startup = sc.instances.startup_s > 0 ? `, new instances take ${num(sc.instances.startup_s)} s to start` : '';
    $('as-tip').append(strong, `${p.describe}${sc.instances.capacity_rps !== 100 ? ` (rates × C/100 = ${num(sc.instances.capacity_rps / 100)})` : ''}, ` +
      `with ${who}${startup}; restarted at t = 0, 10× speed. What to look for: ${p.tip}`);
  }
}


