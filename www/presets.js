// The demos behind the "Try" chips and the traffic presets. Each is a scenario patch: the
// core's default scenario plus these fields (the core fills in the rest), so a demo always
// starts from the same known state whatever was clicked before. `chart` is the chart to bring
// into view, `show`/`highlight` what to point at (as a lesson step's `view` does). The numbers
// here are the demos' own choices (their scenario), not the core's defaults; their words come
// from the catalog (`try.<id>.label`, `try.<id>.tip`) with the numbers filled in from this data.

/** A "day" in 20 minutes: L between 150 and 950 req/s, one step every 30 s, two days. */
function dailyChanges() {
  const period = 1200, step = 30, out = [];
  for (let t = step; t < 2 * period; t += step) out.push({ at_s: t, rate_rps: Math.round((550 - 400 * Math.cos((2 * Math.PI * t) / period)) / 10) * 10 });
  return out;
}

const every = (from, to, step, rate) => {
  const out = [];
  for (let t = from, i = 1; t < to; t += step, i++) out.push({ at_s: t, rate_rps: rate(i) });
  return out;
};

export const DEMOS = {
  // Serving
  l450: { panel: 'serving', chart: 'latency', patch: { traffic: { rate_rps: 450 } } },
  n6: { panel: 'serving', chart: 'latency', patch: { instances: { count: 6 } } },
  // Balancer
  halfspeed: { panel: 'balancer', chart: 'latency', highlight: { instance: 4 }, patch: { instances: { overrides: [{ instance: 4, speed: 0.5 }] } } },
  halfspeed_lc: { panel: 'balancer', chart: 'latency', highlight: { instance: 4 }, patch: { balancer: { algorithm: 'least_connections' }, instances: { overrides: [{ instance: 4, speed: 0.5 }] } } },
  herding: { panel: 'balancer', chart: 'latency', patch: { instances: { count: 10 }, traffic: { rate_rps: 900 }, balancer: { algorithm: 'least_connections', load_delay_s: 1 } } },
  hashing: { panel: 'balancer', show: 'keys', patch: { balancer: { algorithm: 'ring_hash' }, traffic: { keys: 1000 }, edits: [{ at_s: 20, path: 'instances.count', value: 6 }] } },
  // Registry
  crash: { panel: 'registry', chart: 'drops', show: 'log:registry', highlight: { instance: 2 }, patch: { faults: [{ at_s: 10, kind: 'crash', instance: 2 }] } },
  partition: { panel: 'registry', chart: 'drops', show: 'log:registry', highlight: { instance: 1 }, patch: { faults: [{ at_s: 10, kind: 'partition', instance: 1 }] } },
  stale: { panel: 'registry', chart: 'drops', show: 'log:registry', highlight: { instance: 2 }, patch: { registry: { refresh_s: 30 }, faults: [{ at_s: 10, kind: 'crash', instance: 2 }] } },
  eureka: { panel: 'registry', chart: 'drops', show: 'log:registry', highlight: { instance: 2 }, patch: { registry: { self_preservation_threshold: 0.85 }, faults: [{ at_s: 10, kind: 'crash', instance: 2 }, { at_s: 10, kind: 'crash', instance: 3 }] } },
  // Autoscaler presets (traffic shapes; they give new instances 20 s to start)
  spike: { panel: 'autoscaler', chart: 'autoscaler', preset: true, patch: { duration_s: 900, traffic: { rate_rps: 300, changes: [{ at_s: 60, rate_rps: 900 }, { at_s: 360, rate_rps: 300 }] }, instances: { count: 5, startup_s: 20 }, autoscaler: { kind: 'hpa', target_utilization_pct: 60 } } },
  ramp: { panel: 'autoscaler', chart: 'autoscaler', preset: true, patch: { duration_s: 900, traffic: { rate_rps: 100, changes: every(60, 660, 60, (i) => 100 + 90 * i) }, instances: { count: 2, startup_s: 20 }, autoscaler: { kind: 'hpa', target_utilization_pct: 60 } } },
  daily: { panel: 'autoscaler', chart: 'autoscaler', preset: true, patch: { duration_s: 2400, traffic: { rate_rps: 150, changes: dailyChanges() }, instances: { count: 3, startup_s: 20 }, autoscaler: { kind: 'hpa', target_utilization_pct: 60 } } },
  flapping: { panel: 'autoscaler', chart: 'autoscaler', preset: true, patch: { duration_s: 900, traffic: { rate_rps: 400, changes: every(45, 900, 45, (i) => (i % 2 ? 700 : 400)) }, instances: { count: 7, startup_s: 20 }, autoscaler: { kind: 'hpa', target_utilization_pct: 60 } } },
  article: { panel: 'autoscaler', chart: 'autoscaler', preset: true, patch: { traffic: { rate_rps: 501 }, autoscaler: { kind: 'formula' } } },
};

/** The numbers a demo's words mention, read from its own patch. */
export function demoParams(id) {
  const p = DEMOS[id].patch;
  const ch = p.traffic?.changes ?? [];
  return {
    rate: p.traffic?.rate_rps, count: p.instances?.count,
    instance: p.faults?.[0]?.instance ?? p.instances?.overrides?.[0]?.instance ?? DEMOS[id].highlight?.instance,
    speed: p.instances?.overrides?.[0]?.speed, at: p.faults?.[0]?.at_s ?? p.edits?.[0]?.at_s ?? ch[0]?.at_s,
    peak: Math.max(0, ...ch.map((c) => c.rate_rps)), low: ch.length ? Math.min(...ch.map((c) => c.rate_rps), p.traffic.rate_rps) : undefined,
    back: ch[1]?.at_s, refresh: p.registry?.refresh_s, threshold: p.registry?.self_preservation_threshold,
    delay: p.balancer?.load_delay_s, to: p.edits?.[0]?.value, target: p.autoscaler?.target_utilization_pct,
    startup: p.instances?.startup_s, step_s: ch.length > 1 ? ch[1].at_s - ch[0].at_s : undefined,
  };
}

export const PANEL_DEMOS = (panel) => Object.keys(DEMOS).filter((id) => DEMOS[id].panel === panel && !DEMOS[id].preset);
export const PRESETS = () => Object.keys(DEMOS).filter((id) => DEMOS[id].preset);
