// The Balancer tab: the algorithm picker with a note naming the real system, the options that
// matter for the chosen algorithm (each validated by the simulator's own setter, its Error
// shown next to the field), request keys for the hash balancers, the key-ownership view, the
// per-instance Weight and Speed fields in the instance inspector, and one-click examples.
// Everything goes through the live Simulation: the run continues, nothing restarts.
import { NumberControl } from './controls.js';
import { num, int } from './format.js';
import { ALGOS, HASH_ALGOS, LOAD_ALGOS, label } from './balancer-info.js';
import { KeyView } from './key-view.js';
import { Compare } from './compare.js';

const $ = (id) => document.getElementById(id);
const DEFAULT_KEYS = 1000;

/** Throws the simulator-style message for a non-integer, so the field shows a useful alert. */
function whole(field, lo, hi, v) {
  if (!Number.isInteger(v)) throw new Error(`${field}: must be a whole number between ${lo} and ${hi}, got ${Number.isNaN(v) ? 'NaN' : v}`);
  return v;
}

export class BalancerPanel {
  /**
   * @param {object} o
   * @param {() => import('./pkg/fleetlab.js').Simulation} o.getSim
   * @param {() => void} o.changed  after an accepted change (theory, URL)
   * @param {import('./fleet-view.js').FleetView} o.fleet
   */
  constructor({ getSim, changed, fleet }) {
    this.getSim = getSim;
    this.changed = changed;
    this.fleet = fleet;
    this.sel = $('sel-algo');
    this.note = $('algo-note');
    this.err = $('err-algo');
    this.balNote = $('bal-note');
    this.situation = ''; // a note set by an example, kept until the algorithm changes
    this.keyView = new KeyView({ container: $('key-view'), canvas: $('key-canvas'), text: $('key-moved') });
    this.compare = new Compare({ getSim });

    this.sel.addEventListener('change', () => this.setAlgorithm(this.sel.value));
    this.setupOptions();
    this.setupInspector();
    this.setupExamples();
    setInterval(() => this.poll(), 250);
  }

  get sim() { return this.getSim(); }
  get algorithm() { return this.sim.scenario().balancer.algorithm; }

  /** Applies one balancer field, keeping every other field (health checks, retries, ...) as is. */
  setBalancer(patch) {
    const sim = this.sim;
    sim.set_balancer({ ...sim.scenario().balancer, ...patch });
    this.changed();
  }

  setAlgorithm(algorithm) {
    const sim = this.sim;
    const sc = sim.scenario();
    let keysNote = '';
    let addedKeys = false;
    try {
      if (HASH_ALGOS.has(algorithm) && !(sc.traffic.keys > 0)) {
        // keyed balancers need request keys: add them live, the run continues
        sim.set_keys(DEFAULT_KEYS, sc.traffic.key_distribution ?? 'uniform', sc.traffic.zipf_s ?? 1);
        addedKeys = true;
        keysNote = `Requests now carry one of ${int(DEFAULT_KEYS)} keys (uniform); the run continues.`;
      }
      this.setBalancer({ algorithm });
      this.err.textContent = '';
      this.sel.removeAttribute('aria-invalid');
      this.situation = keysNote;
    } catch (e) {
      if (addedKeys) { try { sim.set_keys(0, 'uniform', sc.traffic.zipf_s ?? 1); } catch { /* keep keys */ } }
      this.err.textContent = `${e.message}. Keeping ${label(sc.balancer.algorithm)}.`;
      this.sel.setAttribute('aria-invalid', 'true');
    }
    this.sync({ keepError: true });
  }

  // ------------------------------------------------------------------ options
  setupOptions() {
    const sc = () => this.sim.scenario();
    const bal = (field, opts) => new NumberControl({
      input: $(`in-${opts.id}`), err: $(`err-${opts.id}`), step: opts.step ?? 1, event: opts.event ?? 'input',
      apply: (v) => {
        if (opts.whole) whole(`balancer.${field}`, opts.whole[0], opts.whole[1], v);
        this.setBalancer({ [field]: v });
        this.situation = '';
        this.sync({ keepError: true, skip: field });
      },
      keeping: () => `${field} = ${num(sc().balancer[field])}`,
    });
    this.opts = {
      choice_count: bal('choice_count', { id: 'choice', whole: [2, 100] }),
      decay_s: bal('decay_s', { id: 'decay', step: 1 }),
      points_per_instance: bal('points_per_instance', { id: 'points', whole: [1, 1000], event: 'change', step: 10 }),
      table_size: bal('table_size', { id: 'table', whole: [2, 1000003], event: 'change' }),
      load_delay_s: bal('load_delay_s', { id: 'delay', step: 0.1 }),
    };
    const setKeys = (keys, dist, s) => {
      this.sim.set_keys(keys, dist, s);
      this.situation = '';
      this.changed();
      this.sync({ keepError: true });
    };
    const t = () => sc().traffic;
    this.ctlKeys = new NumberControl({
      input: $('in-keys'), err: $('err-keys'), step: 100, event: 'change',
      apply: (v) => setKeys(v, t().key_distribution, t().zipf_s),
      keeping: () => `traffic.keys = ${int(t().keys)}`,
    });
    this.ctlZipf = new NumberControl({
      input: $('in-zipf'), err: $('err-zipf'), step: 0.1,
      apply: (v) => setKeys(t().keys, 'zipf', v),
      keeping: () => `traffic.zipf_s = ${num(t().zipf_s)}`,
    });
    const selDist = $('sel-dist');
    selDist.addEventListener('change', () => {
      try {
        setKeys(t().keys, selDist.value, t().zipf_s);
        $('err-dist').textContent = '';
      } catch (e) {
        $('err-dist').textContent = `${e.message}. Keeping ${t().key_distribution}.`;
        selDist.value = t().key_distribution;
      }
    });
  }

  /** Shows the simulation's settings in the tab (after a new run, or any accepted change). */
  sync({ keepError = false, skip = null } = {}) {
    const sim = this.sim;
    if (sim !== this.lastSim) { this.lastSim = sim; this.keyView.reset(); this.situation = ''; }
    const sc = sim.scenario();
    const algo = sc.balancer.algorithm;
    this.sel.value = algo;
    this.note.textContent = ALGOS[algo]?.note ?? '';
    if (!keepError) { this.err.textContent = ''; this.sel.removeAttribute('aria-invalid'); }
    for (const [field, ctl] of Object.entries(this.opts)) {
      if (field !== skip && !ctl.invalid && document.activeElement !== ctl.input) ctl.set(sc.balancer[field]);
    }
    if (!this.ctlKeys.invalid && document.activeElement !== this.ctlKeys.input) this.ctlKeys.set(sc.traffic.keys);
    if (!this.ctlZipf.invalid && document.activeElement !== this.ctlZipf.input) this.ctlZipf.set(sc.traffic.zipf_s);
    $('sel-dist').value = sc.traffic.key_distribution;
    for (const el of document.querySelectorAll('#bal-opts .opt')) {
      let on = el.dataset.algos.split(' ').includes(algo);
      if (el.hasAttribute('data-zipf')) on &&= sc.traffic.key_distribution === 'zipf';
      el.hidden = !on;
    }
    const hashed = HASH_ALGOS.has(algo);
    if (hashed === this.keyView.container.hidden || algo !== this.keyView.algorithm) this.keyView.show(hashed);
    this.renderNote(sc);
  }

  renderNote(sc) {
    const b = sc.balancer;
    const algo = b.algorithm;
    const notes = [];
    if (this.situation) notes.push(this.situation);
    if (LOAD_ALGOS.has(algo) && b.load_delay_s > 0) {
      notes.push(algo === 'least_connections'
        ? `Herding: for up to ${num(b.load_delay_s)} s every request sees the same stale counts, so all of them go to the instance that looked emptiest; it floods, then the next one does. Power of two choices with the same delay spreads the herd by sampling at random.`
        : `The balancer sees queue lengths up to ${num(b.load_delay_s)} s old. ${algo === 'power_of_two' ? 'Random sampling keeps most requests off the instance that only looked idle, so it herds far less than least connections.' : 'Stale pending counts mislead the cost, but the latency estimate still reacts.'}`);
    }
    const uneven = (sc.instances.overrides ?? []).filter((o) => o.weight !== 1 || o.speed !== 1);
    if (uneven.length && (algo === 'round_robin' || algo === 'random') && uneven.some((o) => o.speed < 1)) {
      const o = uneven.find((x) => x.speed < 1);
      const perInst = sc.traffic.rate_rps / sc.instances.count;
      const slowCap = sc.instances.capacity_rps * o.speed;
      notes.push(`${cap(label(algo))} still sends #${o.instance} about L/N = ${num(perInst)} req/s, but at speed ×${num(o.speed)} it serves only ${num(slowCap)} req/s${perInst >= slowCap ? ': its queue grows until it drops requests' : ''}. A load-aware balancer (least connections, peak EWMA) routes around it.`);
    }
    if (uneven.some((o) => o.weight !== 1) && ['round_robin', 'shared_queue', 'peak_ewma', 'jump_hash'].includes(algo)) {
      notes.push(`${cap(label(algo))} ignores weights; weighted round robin, random, least connections, power of two choices (Envoy’s weighted EDF), ring hash and Maglev use them.`);
    }
    const text = notes.join(' ');
    if (this.balNote.textContent !== text) this.balNote.textContent = text;
  }

  // ------------------------------------------------------------------ inspector: weight and speed
  setupInspector() {
    const insp = $('inspector');
    const box = document.createElement('div');
    box.className = 'insp-edit';
    box.innerHTML = `
      <div class="insp-fields">
        <label for="in-weight">Weight</label>
        <input id="in-weight" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" aria-describedby="hint-weight err-weight">
        <label for="in-speed">Speed ×</label>
        <input id="in-speed" type="text" inputmode="decimal" autocomplete="off" spellcheck="false" aria-describedby="hint-weight err-speed">
      </div>
      <p class="hint" id="hint-weight">weight 1 – 1000 (weighted balancers); speed 0.01 – 100 × C</p>
      <p class="err" id="err-weight" role="alert"></p>
      <p class="err" id="err-speed" role="alert"></p>`;
    insp.insertBefore(box, insp.querySelector('.insp-actions'));
    this.inspId = null;
    const ov = () => this.override(this.inspId);
    this.ctlWeight = new NumberControl({
      input: $('in-weight'), err: $('err-weight'), step: 1,
      apply: (v) => { this.sim.set_instance(this.inspId, v, ov().speed); this.instanceChanged(); },
      keeping: () => `weight ${ov().weight} for #${this.inspId}`,
    });
    this.ctlSpeed = new NumberControl({
      input: $('in-speed'), err: $('err-speed'), step: 0.1,
      apply: (v) => { this.sim.set_instance(this.inspId, ov().weight, v); this.instanceChanged(); },
      keeping: () => `speed ×${num(ov().speed)} for #${this.inspId}`,
    });
  }

  instanceChanged() {
    this.changed();
    this.renderNote(this.sim.scenario());
  }

  /** The instance's weight and speed as the scenario records them (1 and 1 unless overridden). */
  override(id) {
    const o = (this.sim.scenario().instances.overrides ?? []).find((x) => x.instance === id);
    return { weight: o?.weight ?? 1, speed: o?.speed ?? 1 };
  }

  /** Called whenever the inspector re-renders (selection change, or every tick). */
  inspect(id) {
    if (id == null) { this.inspId = null; return; }
    const alive = this.fleet.items.has(id) && this.fleet.items.get(id).life !== 3;
    this.ctlWeight.input.disabled = this.ctlSpeed.input.disabled = !alive;
    const o = this.override(id);
    if (id !== this.inspId) {
      this.inspId = id;
      this.ctlWeight.set(o.weight);
      this.ctlSpeed.set(o.speed);
    } else {
      this.ctlWeight.follow(o.weight);
      this.ctlSpeed.follow(o.speed);
    }
  }

  // ------------------------------------------------------------------ examples
  setupExamples() {
    $('ex-halfspeed').addEventListener('click', () => {
      const ids = this.fleet.order.filter((id) => this.fleet.items.get(id)?.life === 1);
      if (!ids.length) return;
      const id = ids.includes(4) ? 4 : ids[ids.length - 1];
      try {
        this.sim.set_instance(id, this.override(id).weight, 0.5);
        this.situation = '';
        this.instanceChanged();
        if (this.inspId === id) this.ctlSpeed.set(0.5);
        const algo = this.algorithm;
        if (!(algo === 'round_robin' || algo === 'random')) {
          this.situation = `#${id} now runs at half speed. ${cap(label(algo))} ${ALGOS[algo]?.kind === 'load' || algo === 'shared_queue' ? 'sees its longer queue and sends it less work' : 'does not look at load'}; pick round robin to see it fail.`;
          this.renderNote(this.sim.scenario());
        }
      } catch (e) {
        this.balNote.textContent = e.message;
      }
    });
    $('ex-herding').addEventListener('click', () => {
      try {
        this.setBalancer({ algorithm: 'least_connections', load_delay_s: 1 });
        this.situation = '';
        this.sync();
      } catch (e) {
        this.balNote.textContent = e.message;
      }
    });
    $('ex-compare').addEventListener('click', () => this.compare.open(this.algorithm));
  }

  // ------------------------------------------------------------------ polling
  poll() {
    const sim = this.sim;
    if (!sim) return;
    const algo = this.sel.value;
    if (HASH_ALGOS.has(algo) && !this.keyView.container.hidden) {
      this.keyView.refresh(sim, sim.details(), algo, sim.scenario().traffic.keys);
    }
  }
}

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
