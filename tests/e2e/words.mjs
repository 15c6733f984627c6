// What may stay in Latin letters on the Chinese page: proper names (systems, people, formats),
// Kubernetes' own identifiers (condition reasons, API kinds and fields, policy names), units and
// the formulas' symbols. Anything else in Latin letters in zh-CN mode is an untranslated string.
export const ALLOWED_LATIN = new Set([
  // names of systems, products, people, formats
  'fleetlab', 'Envoy', 'nginx', 'Maglev', 'Kubernetes', 'HPA', 'Eureka', 'Consul', 'Finagle', 'linkerd', 'ketama',
  'Google', 'Lamping', 'Veach', 'Zipf', 'EWMA', 'YAML', 'CSV', 'JSON', 'PNG', 'Erlang', 'Rust', 'WebAssembly', 'TTL',
  'English', 'Language', 'KEDA', 'Knative', 'KPA', 'LLM', 'SGLang', 'Mitzenmacher',
  // Kubernetes identifiers, as Kubernetes spells them
  'HorizontalPodAutoscaler', 'autoscaling', 'Deployment', 'Pod', 'Pods', 'Percent', 'Max', 'Min', 'Disabled', 'selectPolicy',
  'DesiredWithinRange', 'ScaleUpLimit', 'ScaleDownLimit', 'TooManyReplicas', 'TooFewReplicas', 'ScaleUpStabilized',
  'ScaleDownStabilized', 'ScalingDisabled', 'FailedGetResourceMetric', 'HPAConfigurableTolerance', 'CPU', 'request',
  'horizontal', 'pod', 'autoscaler', 'sync', 'period', 'behavior', 'containerConcurrency', 'minReplicaCount',
  'Activator', 'Serving', 'PodAutoscaler', 'External', 'vLLM', 'production', 'stack', 'preStop',
  // Envoy and nginx option names
  'RING_HASH', 'MAGLEV', 'RANDOM', 'ROUND_ROBIN', 'least_conn', 'least_request',
  'max_fails', 'fail_timeout', 'proxy_next_upstream', 'always_eject_one_host', 'min_ring_size',
  // units
  'req',
  // symbols and formulas
  'ceil', 'floor', 'mod', 'hash', 'max', 'min', 'Erlang C',
]);

/** Latin words (3+ letters, with _ or -) in `s` that are not allowed on the Chinese page. */
export function englishWords(s) {
  const out = [];
  // a metric's name (vllm:num_requests_waiting) is an identifier, shown as it is
  const text = String(s).replace(/\b[\w.-]+(?::[\w.-]+)+/g, '');
  for (const m of text.matchAll(/[A-Za-z][A-Za-z_-]{2,}/g)) {
    const w = m[0].replace(/-+$/, '');
    if (!ALLOWED_LATIN.has(w) && !w.split(/[-_]/).every((p) => p.length < 3 || ALLOWED_LATIN.has(p))) out.push(w);
  }
  return out;
}

/** Serde / Rust wording that must never reach a person. */
export const RUST_WORDING = /invalid type|invalid value|expected u32|expected f64|\bf64\b|\bu32\b|got null|\bNaN\b|got inf|unknown variant|missing field/i;
