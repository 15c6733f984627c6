// The "Registry & log" tab: failure presets, a live table of every instance's lease and whether
// the balancer can pick it, the registry and balancer-side health settings, an explanation with
// a live estimate of the failures still to come, and the event-log filter.
// It holds no simulation state: it reads the per-instance rows FleetView already parsed from
// the wasm view, sim.details() and sim.scenario(), and writes settings back with set_registry /
// set_balancer (always merged into the current object, so other panels' settings are kept).
import { NumberControl } from './controls.js';
import { num, int } from './format.js';

const LIFE = ['starting', 'ready', 'draining', 'stopped', 'crashed'];
const REG = ['unregistered', 'up', 'suspect', 'evicted', 'deregistered'];
const FLAGS = [[1, 'partitioned'], [2, 'slow'], [4, 'ejected'], [8, 'unhealthy']];
const MAX_ROWS = 30;

// Allowed ranges (as the core states them), only to word the message for a non-number.
const RANGES = {
  'registry.heartbeat_s': [0.01, 3600],
  'registry.ttl_s': [0.01, 36000],
  'registry.refresh_s': [0, 3600],
  'registry.self_preservation_threshold': [0, 1],
  'balancer.health_check.interval_s': [0.01, 3600],
  'balancer.health_check.unhealthy_threshold': [1, 100],
  'balancer.health_check.healthy_threshold': [1, 100],
  'balancer.outlier_detection.consecutive_failures': [1, 1000],
  'balancer.outlier_detection.base_ejection_s': [0.001, 3600],
  'balancer.outlier_detection.max_ejection_pct': [0, 100],
};

const HC_DEFAULT = { interval_s: 5, unhealthy_threshold: 2, healthy_threshold: 2 };
const OD_DEFAULT = { consecutive_failures: 5, base_ejection_s: 30, max_ejection_pct: 10 };

const el = (tag, props = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...kids);
  return e;
};

export class RegistryPanel {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root  container inside the tab panel (presets, settings, explanation)
   * @param {HTMLElement} o.live  container under the canvas (the live table and estimate)
   * @param {HTMLOListElement} o.log  the event-log list (gets the filter above it)
   * @param {() => any} o.getSim
   * @param {import('./fleet-view.js').FleetView} o.fleet
   * @param {() => void} o.onChange  after an accepted setting (URL, theory)
   */
  constructor({ root, live, log, getSim, fleet, onChange, failedOf = (it) => it.failed }) {
    this.failedOf = failedOf;
    this.root = root;
    this.live = live;
    this.getSim = getSim;
    this.fleet = fleet;
    this.onChange = onChange;
    this.simSeen = null;
    this.controls = [];
    this.buildPresets();
    this.buildTable();
    this.buildExplain();
    this.buildSettings();
    this.buildLogFilter(log);
  }

  get sim() { return this.getSim(); }

  // ------------------------------------------------------------------ presets
  buildPresets() {
    const box = el('div', { class: 'reg-presets', role: 'group', 'aria-labelledby': 'reg-presets-h' });
    box.append(el('span', { id: 'reg-presets-h', class: 'reg-h', text: 'Try a failure' }));
    const presets = [
      ['crash', 'Crash one instance', 'Crash instance #2 now: see how long the balancer keeps sending it requests'],
      ['partition', 'Network partition', 'Cut instance #1 off from the registry: it keeps serving, but its lease expires'],
      ['stale', 'Stale discovery', 'Refresh the balancer’s discovery cache only every 30 s, then crash #2'],
      ['eureka', 'Eureka self-preservation', 'Self-preservation at 85 %, then crash #2: the registry refuses to evict it'],
      ['recover', 'Recover all', 'Undo every fault: crashed instances restart, partitions heal, slow ones speed up'],
    ];
    for (const [key, label, title] of presets) {
      const b = el('button', { type: 'button', text: label, title });
      b.dataset.preset = key;
      b.addEventListener('click', () => this.preset(key));
      box.append(b);
    }
    this.presetNote = el('p', { class: 'hint reg-note', id: 'reg-preset-note', role: 'status' });
    this.root.append(box, this.presetNote);
  }

  /** An instance to hit: `want` if it is ready, else the lowest-id ready one. */
  target(want) {
    const ready = [...this.fleet.items.values()].filter((it) => it.life === 1).map((it) => it.id).sort((a, b) => a - b);
    if (ready.includes(want)) return want;
    return ready.length ? ready[Math.min(ready.length - 1, want)] : null;
  }

  recoverAll() {
    const sim = this.sim;
    for (const it of this.fleet.items.values()) {
      if (it.life === 4 || (it.life <= 2 && it.flags & 3)) sim.fault(it.id, 'recover', 1);
    }
  }

  preset(key) {
    const sim = this.sim;
    const reg = sim.scenario().registry;
    let note = '';
    try {
      this.recoverAll();
      if (key === 'recover') {
        note = 'All faults undone: crashed instances restart and register again.';
      } else if (key === 'partition') {
        const id = this.target(1);
        sim.fault(id, 'partition', 1);
        note = `#${id} is partitioned from the registry: it stays ready and keeps serving, but its heartbeats are lost, so within ${num(reg.ttl_s)} s (the lease TTL) it is evicted and the balancer stops using a healthy instance.`;
      } else {
        if (key === 'stale') sim.set_registry({ ...reg, refresh_s: 30, self_preservation_threshold: 0 });
        if (key === 'eureka') sim.set_registry({ ...reg, self_preservation_threshold: 0.85 });
        const id = this.target(2);
        sim.fault(id, 'crash', 1);
        note = {
          crash: `#${id} crashed. The balancer keeps sending it requests (they fail) until its lease expires and the discovery cache refreshes.`,
          stale: `Discovery refresh is now 30 s and #${id} crashed: even after the registry evicts it, the balancer’s cached list still holds it until the next refresh.`,
          eureka: `Self-preservation is on (85 %) and #${id} crashed: with 1 of ${this.fleet.items.size} leases dead, fewer than 85 % are renewed, so the registry stops evicting and #${id} is never removed. Try “Recover all”, or turn self-preservation off.`,
        }[key];
      }
      this.syncFromSim();
      this.onChange();
    } catch (e) {
      note = e.message;
    }
    this.presetNote.textContent = note;
  }

  // ------------------------------------------------------------------ table
  buildTable() {
    const table = el('table', { class: 'reg-table', id: 'reg-table', 'aria-describedby': 'reg-estimate' });
    table.append(el('caption', { class: 'sr-only', text: 'Registry: each instance’s lease, and whether the balancer can pick it' }));
    const head = el('tr');
    for (const [t, title] of [
      ['#', 'instance id'],
      ['state', 'lifecycle (and health flags)'],
      ['registry', 'registry state of its lease'],
      ['last heartbeat', 'time since the lease was last renewed'],
      ['lease left', 'until the lease expires and the instance is evicted'],
      ['in balancer view', 'in the balancer’s (cached) discovery view: can it be picked now?'],
      ['failed', 'requests sent to it that failed (cumulative)'],
    ]) head.append(el('th', { scope: 'col', text: t, title }));
    table.append(el('thead', {}, head));
    this.tbody = el('tbody');
    table.append(this.tbody);
    this.more = el('p', { class: 'hint reg-more' });
    this.liveBox = el('details', { class: 'reg-live', open: true },
      el('summary', {}, el('strong', { text: 'Registry and the balancer’s view' }), el('span', { class: 'muted', id: 'reg-live-sub', text: ' — every instance’s lease, live' })));
    this.liveBox.append(el('div', { class: 'reg-table-wrap' }, table), this.more);
    this.live.append(this.liveBox);
  }

  renderTable() {
    const { ttl_s: ttl, heartbeat_s } = this.sim.scenario().registry;
    this.heartbeat = heartbeat_s;
    const all = [...this.fleet.items.values()].sort((a, b) => a.id - b.id);
    const rows = all.slice(0, MAX_ROWS);
    while (this.tbody.rows.length > rows.length) this.tbody.lastElementChild.remove();
    while (this.tbody.rows.length < rows.length) {
      const tr = el('tr');
      tr.append(
        el('th', { scope: 'row' }),
        el('td', { class: 'c-life' }),
        el('td', {}, el('span', { class: 'badge' })),
        el('td', { class: 'c-hb' }),
        el('td', { class: 'c-lease' }, el('span', { class: 'bar' }, el('span', { class: 'fill' })), el('span', { class: 'lt' })),
        el('td', { class: 'c-view' }),
        el('td', { class: 'c-failed' }),
      );
      this.tbody.append(tr);
    }
    rows.forEach((it, i) => {
      const tr = this.tbody.rows[i];
      const [cId, cLife, cReg, cHb, cLease, cView, cFailed] = tr.cells;
      const life = LIFE[it.life] ?? '?';
      const reg = REG[it.reg] ?? '?';
      const flags = FLAGS.filter(([b]) => it.flags & b).map(([, n]) => n);
      const listed = it.reg === 1 || it.reg === 2;
      const inView = !!it.inView;
      // stale: the balancer can pick something that is gone, or cannot pick something serving
      const staleIn = inView && (it.life === 4 || it.life === 3 || it.reg === 3 || it.reg === 4);
      const staleOut = !inView && it.life === 1 && !(it.flags & 12);
      setText(cId, `#${it.id}`);
      setText(cLife, flags.length ? `${life} · ${flags.join(', ')}` : life);
      cLife.className = `c-life l-${life}`;
      const badge = cReg.firstChild;
      setText(badge, reg);
      badge.className = `badge r-${reg}`;
      const frac = listed && ttl > 0 ? Math.max(0, Math.min(1, it.lease / ttl)) : 0;
      const [bar, lt] = cLease.children;
      bar.firstChild.style.width = `${(frac * 100).toFixed(1)}%`;
      bar.className = `bar ${frac < 0.34 ? 'low' : frac < 0.67 ? 'mid' : 'ok'}`;
      setText(lt, listed ? `${it.lease.toFixed(1)} s` : '—');
      setText(cHb, listed ? `${Math.max(0, ttl - it.lease).toFixed(1)} s ago` : it.reg === 3 ? `> ${num(ttl)} s ago` : '—');
      cHb.classList.toggle('late', listed && ttl - it.lease > this.heartbeat + 0.05);
      const failed = this.failedOf(it);
      setText(cFailed, int(failed));
      cFailed.classList.toggle('bad', failed > 0);
      cLease.title = listed ? `lease left ${it.lease.toFixed(1)} of ${num(ttl)} s` : reg;
      setText(cView, inView ? (staleIn ? 'yes ⚠' : 'yes') : staleOut ? 'no ⚠' : 'no');
      cView.className = `c-view ${inView ? 'v-yes' : 'v-no'}${staleIn || staleOut ? ' v-stale' : ''}`;
      cView.title = staleIn
        ? 'stale: the balancer still picks it although it is gone — requests sent there fail'
        : staleOut ? 'ready and serving, but the balancer cannot pick it (evicted, or not yet in its cached view)' : '';
      tr.className = it.life === 4 ? 'row-crashed' : staleIn || staleOut ? 'row-stale' : '';
      tr.dataset.id = String(it.id);
    });
    setText(this.more, all.length > MAX_ROWS ? `+${int(all.length - MAX_ROWS)} more instances not listed` : '');
  }

  // ------------------------------------------------------------------ explanation + estimate
  buildExplain() {
    this.estimate = el('p', { class: 'reg-estimate', id: 'reg-estimate' });
    this.traffic = el('p', { class: 'hint', id: 'reg-traffic' });
    const ex = el('p', { class: 'explain reg-explain' });
    ex.innerHTML =
      'After a crash the registry still lists the instance until its lease expires (up to the TTL after its last heartbeat), and the balancer keeps its cached list until the next discovery refresh, so every request sent there meanwhile fails: ' +
      '<b>failed ≈ share of traffic × L × (time to eviction + time to next refresh)</b>. ' +
      'Shorter leases find dead instances sooner but cost more heartbeats (N / interval renewals per second), and on a slow network they evict live instances. ' +
      'Eureka’s <b>self-preservation</b> stops all evictions when too few leases are renewed, betting that the registry, not the fleet, lost its network — so a dead instance stays listed. ' +
      'Outlier detection and retries in the balancer react within a few requests, without waiting for the registry.';
    this.live.append(this.estimate);
    this.live.append(ex);
  }

  renderEstimate(d) {
    const sim = this.sim;
    const sc = sim.scenario();
    const reg = sc.registry;
    const bal = sc.balancer;
    const L = d.offered_rps;
    const parts = [];
    const crashed = [...this.fleet.items.values()].filter((it) => it.life === 4).sort((a, b) => a.id - b.id);
    for (const it of crashed.slice(0, 3)) {
      const failed = `#${it.id} crashed: ${int(this.failedOf(it))} requests failed so far`;
      if (!it.inView) {
        parts.push(`${failed}; it has left the balancer’s view, so no more fail.`);
        continue;
      }
      if (it.flags & 4) { parts.push(`${failed}; outlier detection ejected it, so the balancer skips it.`); continue; }
      if (bal.retries > 0) { parts.push(`${failed}; the balancer still picks it, but each failed attempt is retried once on another instance.`); continue; }
      const share = d.in_view > 0 ? 1 / d.in_view : 0;
      const rate = share * L;
      if (d.self_preserving && !(it.lease > 0)) {
        parts.push(`${failed}; self-preservation keeps it registered, so ≈ ${num(rate)} req/s (1/${int(d.in_view)} of L) keep failing until it recovers or preservation ends.`);
        continue;
      }
      const lease = it.reg === 1 || it.reg === 2 ? it.lease : 0;
      const left = lease + reg.refresh_s;
      parts.push(`${failed}. Still in view: ≈ 1/${int(d.in_view)} × ${num(L)} req/s × (${num(+lease.toFixed(1))} s lease left + ≤ ${num(reg.refresh_s)} s refresh) ≈ ${int(rate * left)} more.`);
    }
    if (crashed.length > 3) parts.push(`… and ${crashed.length - 3} more crashed.`);
    if (!parts.length) parts.push(`No crashed instance. With these settings a crash costs about 1/N × L × (${num(reg.ttl_s - reg.heartbeat_s / 2)} s average time to eviction + up to ${num(reg.refresh_s)} s refresh) ≈ ${int((d.members > 0 ? L / d.members : 0) * (Math.max(0, reg.ttl_s - reg.heartbeat_s / 2) + reg.refresh_s / 2))} failed requests, unless outlier detection or retries catch it first.`);
    setText(this.estimate, parts.join(' '));
    this.estimate.classList.toggle('bad', crashed.some((it) => it.inView));
    const n = d.members;
    setText(this.traffic, `Heartbeat traffic: ${int(n)} instances × 1/${num(reg.heartbeat_s)} s = ${num(n / reg.heartbeat_s)} renewals/s.` +
      (reg.heartbeat_s >= reg.ttl_s ? ' ⚠ The heartbeat interval is not shorter than the TTL: live instances will be evicted between heartbeats.' : '') +
      (d.self_preserving ? ' Self-preservation is ACTIVE: the registry is not evicting anything.' : ''));
  }

  // ------------------------------------------------------------------ settings
  buildSettings() {
    const det = el('details', { class: 'reg-settings', id: 'reg-settings' });
    this.summary = el('span', { class: 'muted reg-sum' });
    det.append(el('summary', {}, el('strong', { text: 'Registry and health settings' }), el('br'), this.summary));
    this.settingsBox = det;

    const field = (id, label, hint, unit, path, apply, current) => {
      const input = el('input', { id: `in-${id}`, type: 'text', inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `hint-${id} err-${id}` });
      const err = el('p', { class: 'err', id: `err-${id}`, role: 'alert' });
      const box = el('div', { class: 'rf' },
        el('label', { for: `in-${id}`, text: label }),
        el('span', { class: 'rf-in' }, input, el('span', { class: 'unit', text: unit })),
        el('p', { class: 'hint', id: `hint-${id}`, text: hint }),
        err);
      const ctl = new NumberControl({
        input, err, event: 'change', step: 1,
        apply: (v) => {
          if (!Number.isFinite(v)) {
            const [lo, hi] = RANGES[path];
            throw new Error(`${path}: must be between ${lo} and ${hi}, got NaN`);
          }
          apply(v);
          this.onChange();
          queueMicrotask(() => this.renderSummary());
        },
        keeping: () => `${path} = ${num(current())}`,
      });
      ctl.path = path;
      ctl.current = current;
      ctl.box = box;
      this.controls.push(ctl);
      return box;
    };
    const check = (id, label, onToggle) => {
      const cb = el('input', { id: `cb-${id}`, type: 'checkbox' });
      cb.addEventListener('change', () => onToggle(cb.checked));
      return [cb, el('label', { class: 'rf-check' }, cb, ` ${label}`)];
    };
    const sc = () => this.sim.scenario();
    const setReg = (k) => (v) => this.sim.set_registry({ ...sc().registry, [k]: v });
    const setSub = (obj, def, k) => (v) => {
      const b = sc().balancer;
      this.sim.set_balancer({ ...b, [obj]: { ...(b[obj] ?? def), [k]: v } });
    };

    // registry
    const fsReg = el('fieldset', { class: 'rfs' }, el('legend', { text: 'Registry (Consul / Eureka leases)' }));
    fsReg.append(
      field('hb', 'Heartbeat interval', 'each instance renews its lease this often', 's', 'registry.heartbeat_s', setReg('heartbeat_s'), () => sc().registry.heartbeat_s),
      field('ttl', 'Lease TTL', 'no renewal for this long → evicted', 's', 'registry.ttl_s', setReg('ttl_s'), () => sc().registry.ttl_s),
      field('refresh', 'Discovery refresh', 'balancer re-reads the registry (0 = instantly)', 's', 'registry.refresh_s', setReg('refresh_s'), () => sc().registry.refresh_s),
    );
    const [cbSp, lbSp] = check('sp', 'Eureka self-preservation', (on) => this.toggle('sp', on));
    this.cbSp = cbSp;
    this.spField = field('sp', 'Threshold', 'stop evicting below this share of live leases', '', 'registry.self_preservation_threshold',
      (v) => { if (v === 0) throw new Error('registry.self_preservation_threshold: 0 turns self-preservation off; use the checkbox, or give a share between 0 and 1'); setReg('self_preservation_threshold')(v); },
      () => sc().registry.self_preservation_threshold);
    fsReg.append(lbSp, this.spField);
    this.traffic && fsReg.append(this.traffic);

    // balancer-side health
    const fsHealth = el('fieldset', { class: 'rfs' }, el('legend', { text: 'Balancer-side health (Envoy)' }));
    const [cbHc, lbHc] = check('hc', 'Active health check', (on) => this.toggle('hc', on));
    this.cbHc = cbHc;
    this.hcFields = [
      field('hci', 'Check interval', 'the balancer probes each instance this often', 's', 'balancer.health_check.interval_s', setSub('health_check', HC_DEFAULT, 'interval_s'), () => sc().balancer.health_check?.interval_s ?? HC_DEFAULT.interval_s),
      field('hcu', 'Unhealthy after', 'failed probes in a row → stop sending', 'probes', 'balancer.health_check.unhealthy_threshold', setSub('health_check', HC_DEFAULT, 'unhealthy_threshold'), () => sc().balancer.health_check?.unhealthy_threshold ?? HC_DEFAULT.unhealthy_threshold),
      field('hch', 'Healthy after', 'passed probes in a row → send again', 'probes', 'balancer.health_check.healthy_threshold', setSub('health_check', HC_DEFAULT, 'healthy_threshold'), () => sc().balancer.health_check?.healthy_threshold ?? HC_DEFAULT.healthy_threshold),
    ];
    const [cbOd, lbOd] = check('od', 'Outlier detection', (on) => this.toggle('od', on));
    this.cbOd = cbOd;
    this.odFields = [
      field('odc', 'Eject after', 'failed requests in a row → eject it', 'failures', 'balancer.outlier_detection.consecutive_failures', setSub('outlier_detection', OD_DEFAULT, 'consecutive_failures'), () => sc().balancer.outlier_detection?.consecutive_failures ?? OD_DEFAULT.consecutive_failures),
      field('odb', 'Base ejection time', 'ejected this long (longer if ejected again)', 's', 'balancer.outlier_detection.base_ejection_s', setSub('outlier_detection', OD_DEFAULT, 'base_ejection_s'), () => sc().balancer.outlier_detection?.base_ejection_s ?? OD_DEFAULT.base_ejection_s),
      field('odm', 'Max ejected', 'at most this share of instances at once', '%', 'balancer.outlier_detection.max_ejection_pct', setSub('outlier_detection', OD_DEFAULT, 'max_ejection_pct'), () => sc().balancer.outlier_detection?.max_ejection_pct ?? OD_DEFAULT.max_ejection_pct),
    ];
    const [cbRt, lbRt] = check('rt', 'Client retries: retry a failed request once on another instance', (on) => this.toggle('rt', on));
    this.cbRt = cbRt;
    fsHealth.append(lbHc, ...this.hcFields, lbOd, ...this.odFields, lbRt);
    this.toggleErr = el('p', { class: 'err', id: 'err-toggle', role: 'alert' });
    det.append(fsReg, fsHealth, this.toggleErr);
    this.root.append(det);
  }

  toggle(which, on) {
    const sim = this.sim;
    try {
      const sc = sim.scenario();
      if (which === 'sp') {
        const v = Number(document.getElementById('in-sp').value);
        sim.set_registry({ ...sc.registry, self_preservation_threshold: on ? (v > 0 && v <= 1 ? v : 0.85) : 0 });
      } else if (which === 'hc') {
        sim.set_balancer({ ...sc.balancer, health_check: on ? this.values(this.hcFields, HC_DEFAULT) : null });
      } else if (which === 'od') {
        sim.set_balancer({ ...sc.balancer, outlier_detection: on ? this.values(this.odFields, OD_DEFAULT) : null });
      } else if (which === 'rt') {
        sim.set_balancer({ ...sc.balancer, retries: on ? 1 : 0 });
      }
      this.toggleErr.textContent = '';
      this.onChange();
    } catch (e) {
      this.toggleErr.textContent = `${e.message}. Keeping the previous settings.`;
    }
    this.syncFromSim();
  }

  /** The sub-object from its fields (valid numbers only; defaults for the rest). */
  values(boxes, def) {
    const out = { ...def };
    for (const ctl of this.controls.filter((c) => boxes.includes(c.box))) {
      const k = ctl.path.split('.').pop();
      const v = Number(ctl.input.value);
      if (ctl.input.value.trim() !== '' && Number.isFinite(v) && !ctl.invalid) out[k] = v;
    }
    return out;
  }

  /** Shows the simulation's current settings in every control. */
  syncFromSim() {
    const sc = this.sim.scenario();
    for (const ctl of this.controls) {
      if (ctl.invalid && document.activeElement === ctl.input) continue;
      if (ctl.path === 'registry.self_preservation_threshold' && !(sc.registry.self_preservation_threshold > 0)) {
        if (!ctl.input.value || Number(ctl.input.value) === 0) ctl.set(0.85);
        continue;
      }
      ctl.set(ctl.current());
    }
    const sp = sc.registry.self_preservation_threshold > 0;
    this.cbSp.checked = sp;
    this.cbHc.checked = !!sc.balancer.health_check;
    this.cbOd.checked = !!sc.balancer.outlier_detection;
    this.cbRt.checked = sc.balancer.retries > 0;
    this.renderSummary();
  }

  renderSummary() {
    const sc = this.sim.scenario();
    const sp = sc.registry.self_preservation_threshold > 0;
    const r = sc.registry, b = sc.balancer;
    this.summary.textContent = `heartbeat ${num(r.heartbeat_s)} s · TTL ${num(r.ttl_s)} s · refresh ${num(r.refresh_s)} s · ` +
      `self-preservation ${sp ? num(r.self_preservation_threshold) : 'off'} · health check ${b.health_check ? `${num(b.health_check.interval_s)} s` : 'off'} · ` +
      `outlier detection ${b.outlier_detection ? `after ${int(b.outlier_detection.consecutive_failures)}` : 'off'} · retries ${b.retries > 0 ? 'on' : 'off'}`;
    this.spField.querySelector('input').disabled = !sp;
    for (const b of this.hcFields) b.querySelector('input').disabled = !this.cbHc.checked;
    for (const b of this.odFields) b.querySelector('input').disabled = !this.cbOd.checked;
    this.spField.classList.toggle('off', !sp);
    for (const b of this.hcFields) b.classList.toggle('off', !this.cbHc.checked);
    for (const b of this.odFields) b.classList.toggle('off', !this.cbOd.checked);
  }

  // ------------------------------------------------------------------ log filter
  buildLogFilter(log) {
    this.log = log;
    const groups = [['registry', 'registry'], ['health', 'health'], ['faults', 'faults'], ['scaling', 'scaling & traffic']];
    const fs = el('fieldset', { class: 'log-filter' }, el('legend', { text: 'Event log, newest first — show:' }));
    this.hidden = new Set();
    for (const [g, label] of groups) {
      const cb = el('input', { type: 'checkbox', id: `lf-${g}`, checked: true });
      cb.addEventListener('change', () => {
        if (cb.checked) this.hidden.delete(g); else this.hidden.add(g);
        log.dataset.hide = [...this.hidden].join(' ');
      });
      fs.append(el('label', { class: `lf g-${g}` }, cb, ` ${label}`));
    }
    log.before(fs);
  }

  // ------------------------------------------------------------------ per tick (~4×/s)
  tick(d) {
    const sc = this.sim.scenario();
    const key = JSON.stringify([sc.registry, sc.balancer.health_check, sc.balancer.outlier_detection, sc.balancer.retries]);
    if (this.sim !== this.simSeen) {
      this.simSeen = this.sim;
      this.presetNote.textContent = '';
      this.syncFromSim();
    } else if (key !== this.settingsKey && !this.root.contains(document.activeElement)) {
      this.syncFromSim(); // changed elsewhere (a scenario link, another panel)
    }
    this.settingsKey = key;
    if (this.liveBox.open) this.renderTable();
    this.renderEstimate(d);
  }
}

function setText(node, t) {
  if (node.textContent !== t) node.textContent = t;
}
