// Where each scenario field is shown and when it matters — the one mapping the page keeps.
// Fields not named here appear in the panel of their prefix (balancer.*, registry.*,
// autoscaler.* for the autoscaler's kind, instances.* and traffic.* under "Serving") and always
// count, so a field added to the schema shows up next to the mechanism it changes without a
// change here. The schema itself says which autoscaler kinds have a field.

/** Balancers that route by request key (they need traffic.keys ≥ 1). */
export const KEYED = ['ring_hash', 'maglev', 'jump_hash'];
/** Balancers that read per-instance load (they see it with load_delay_s of delay). */
export const LOAD_AWARE = ['least_connections', 'power_of_two', 'peak_ewma'];

const algo = (...names) => (sc) => names.includes(sc.balancer.algorithm);

/** When a field matters, given the settings in force. */
const WHEN = {
  'balancer.choice_count': algo('power_of_two'),
  'balancer.decay_s': algo('peak_ewma'),
  'balancer.points_per_instance': algo('ring_hash'),
  'balancer.table_size': algo('maglev'),
  'balancer.load_delay_s': algo(...LOAD_AWARE),
  'traffic.keys': algo(...KEYED),
  'traffic.key_distribution': algo(...KEYED),
  'traffic.zipf_s': (sc) => KEYED.includes(sc.balancer.algorithm) && sc.traffic.key_distribution === 'zipf',
};

/** Fields shown in another panel than their prefix's. */
const PANEL = {
  'traffic.keys': 'balancer',
  'traffic.key_distribution': 'balancer',
  'traffic.zipf_s': 'balancer',
};

/** Fields the page edits through their own controls, not through the settings forms. */
export const OWN_CONTROL = new Set([
  'instances.count', 'traffic.rate_rps', 'instances.capacity_rps', // the main sliders
  'balancer.algorithm', 'autoscaler.kind', // the panels' choosers
  'instances.overrides', 'traffic.changes', 'faults', 'edits', // the inspector, presets, faults, the run's record
]);

export const relevant = (path, sc) => (WHEN[path] ? WHEN[path](sc) : true);

/** The panel (tab) a field belongs to. */
export function panelOf(path) {
  if (PANEL[path]) return PANEL[path];
  const top = path.split('.')[0];
  if (top === 'balancer' || top === 'registry' || top === 'autoscaler') return top;
  return 'serving';
}
