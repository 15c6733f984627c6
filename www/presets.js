// Traffic presets for the Autoscaler tab. Each one is a scenario edit: a base rate and a
// time-ordered list of `traffic.changes`, applied by restarting the run from t = 0 (a link with
// the scenario then replays the same trajectory, here and in the CLI). Rates are written for
// C = 100 req/s per instance and scaled by C / 100, so the lesson does not depend on C. The
// traffic presets give new instances 20 s to start when the run has no startup time.

/** Rates for C = 100. `changes` is [[at_s, rate_rps], ...]. */
function spike() {
  return { base: 300, changes: [[60, 900], [360, 300]], duration_s: 900 };
}

function ramp() {
  // 100 → 1000 req/s over 10 minutes, one step of 90 req/s a minute
  const changes = [];
  for (let i = 1; i <= 10; i++) changes.push([60 * i, 100 + 90 * i]);
  return { base: 100, changes, duration_s: 900 };
}

function daily() {
  // a "day" squeezed into 20 minutes: 550 − 400·cos(2πt/1200), one step every 30 s, two days
  const period = 1200, step = 30, days = 2;
  const at = (t) => Math.round((550 - 400 * Math.cos((2 * Math.PI * t) / period)) / 10) * 10;
  const changes = [];
  for (let t = step; t < period * days; t += step) changes.push([t, at(t)]);
  return { base: at(0), changes, duration_s: period * days };
}

function flapping() {
  const changes = [];
  for (let t = 45, i = 1; t < 900; t += 45, i++) changes.push([t, i % 2 ? 700 : 400]);
  return { base: 400, changes, duration_s: 900 };
}

function seedExample() {
  return { base: 501, changes: [], duration_s: 600 };
}

export const PRESETS = {
  spike: {
    label: 'Traffic spike',
    describe: 'L 300 → 900 req/s at t = 60 s, back to 300 at t = 360 s',
    traffic: spike,
    startup_s: 20,
    tip: 'Watch the replicas climb in steps (one decision every sync period, each limited by the scale-up rule) while p99 spikes, ' +
      'then, after the load falls at t = 360 s, stay up at low utilization: the HPA’s 300 s scale-down stabilization window keeps the highest ' +
      'recommendation of the last 5 minutes, so the fleet only shrinks about 300 s after the spike’s last high recommendation. ' +
      'With the seed’s rule at target 100 % there is no headroom: every instance runs at ρ ≈ 1 and latency climbs.',
  },
  ramp: {
    label: 'Slow ramp',
    describe: 'L 100 → 1000 req/s over 10 minutes, one step a minute',
    traffic: ramp,
    startup_s: 20,
    tip: 'The HPA tracks a slow ramp with small steps; each step only happens once utilization leaves the tolerance band (±10 %). ' +
      'Compare the seed’s rule: it follows L exactly, always one step behind at ρ ≈ 1.',
  },
  daily: {
    label: 'Daily cycle',
    describe: 'L between 150 and 950 req/s, one “day” every 20 minutes',
    traffic: daily,
    startup_s: 20,
    tip: 'On the way up the fleet follows the load closely; on the way down the 300 s stabilization window makes the HPA lag, ' +
      'keeping spare replicas (cost) in exchange for not scaling down into the next rise.',
  },
  flapping: {
    label: 'Flapping load',
    describe: 'L alternates 400 / 700 req/s every 45 s',
    traffic: flapping,
    startup_s: 20,
    tip: 'With the default behaviour the HPA scales up on the first 700 and then holds: the 300 s scale-down window outlasts each dip. ' +
      'Turn “behavior” on and set the scale-down window to 0 s (or pick the seed’s rule) to see the fleet flap up and down every 45 s.',
  },
  seed: {
    label: 'Seed’s rule at L = 501',
    describe: 'the seed’s rule, target 100 %, constant L = 501 req/s',
    traffic: seedExample,
    autoscaler: { kind: 'formula', target_utilization_pct: 100, min_replicas: 1, max_replicas: 1000, sync_s: 15, source: 'offered' },
    count: 5, // the seed's worked example: 5 instances, then L goes to 501
    tip: 'ceil(501 / 100) = 6 instances at the first sync (t = 15 s): ρ = 501 / 600 ≈ 0.84. One request per second more than 5 × C ' +
      'costs a whole instance; one fewer (L = 500) would leave 5 instances at ρ = 1.',
  },
};

/** The autoscaler a preset applies when none is on: the HPA at a 60 % target. */
export const PRESET_HPA = { kind: 'hpa', min_replicas: 1, max_replicas: 100, target_utilization_pct: 60 };

/**
 * The scenario for preset `name`, built from the current one (same seed, capacity, balancer…).
 * @param {object} sc  sim.scenario()
 */
export function presetScenario(name, sc) {
  const p = PRESETS[name];
  const k = sc.instances.capacity_rps / 100;
  const t = p.traffic();
  const scale = (r) => Math.round(r * k * 1000) / 1000;
  let autoscaler = p.autoscaler ?? sc.autoscaler;
  if (!autoscaler || autoscaler.kind === 'none') autoscaler = PRESET_HPA;
  const base = scale(t.base);
  // start with the fleet the autoscaler would pick for the base load, so the run opens steady
  const target = (autoscaler.target_utilization_pct ?? (autoscaler.kind === 'hpa' ? 80 : 100)) / 100;
  const lo = autoscaler.min_replicas ?? 1, hi = autoscaler.max_replicas ?? 1000;
  const count = p.count ?? Math.max(lo, Math.min(hi, Math.ceil(base / (sc.instances.capacity_rps * target) - 1e-9)));
  return {
    ...sc,
    duration_s: Math.max(sc.warmup_s + 1, t.duration_s),
    traffic: { ...sc.traffic, rate_rps: base, changes: t.changes.map(([at_s, r]) => ({ at_s, rate_rps: scale(r) })) },
    // real pods take a while to become ready (and the HPA counts starting pods pessimistically):
    // a preset with a startup time uses it unless the run already has one
    instances: { ...sc.instances, count, startup_s: sc.instances.startup_s > 0 ? sc.instances.startup_s : (p.startup_s ?? 0) },
    autoscaler,
  };
}
