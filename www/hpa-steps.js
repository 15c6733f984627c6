// An autoscaler decision's reasoning in words: the core explains each decision as steps with
// numbers and no words (src/autoscale/hpa/explain.rs); each step here becomes one clause from
// the catalog. Kubernetes' own names (condition reasons such as [ScaleUpLimit], selectPolicy
// values, policy types) stay as Kubernetes spells them.
import { t, fmt, field } from './i18n.js';

const r2 = (x) => fmt.num(Math.round(x * 100) / 100);
const n3 = (x) => fmt.num(Math.round(x * 1000) / 1000);
const pctInt = (x) => t('unit.pct', { x: fmt.int(x) });
const dir = (d) => t(`hpa.direction.${d}`);

function rateText(rate) {
  if (!rate) return '';
  const limit = fmt.int(rate.limit);
  switch (rate.formula) {
    case 'legacy':
      return t('hpa.rate.legacy', { factor: fmt.num(rate.factor), current: fmt.int(rate.current), minimum: fmt.num(rate.minimum), limit });
    case 'disabled':
      return t('hpa.rate.disabled', { direction: dir(rate.direction) });
    case 'policies': {
      const sign = rate.direction === 'scale_up' ? '+' : '−';
      const list = rate.policies.map((p) => t(p.kind === 'pods' ? 'hpa.policy.pods' : 'hpa.policy.percent', {
        sign, value: fmt.int(p.value), period: fmt.int(p.period_s), start: fmt.int(p.period_start), proposed: fmt.int(p.proposed),
      })).join(t('hpa.list_sep'));
      return t('hpa.rate.policies', { select: rate.select, list, limit });
    }
    default:
      return limit;
  }
}

function limitText(s) {
  const rate = rateText(s.rate);
  const p = {
    current: fmt.int(s.current), desired: fmt.int(s.desired), replicas: fmt.int(s.replicas),
    min: fmt.int(s.min), max: fmt.int(s.max), rate, cond: s.condition,
    min_label: field('autoscaler.min_replicas').label, max_label: field('autoscaler.max_replicas').label,
  };
  switch (s.condition) {
    case 'DesiredWithinRange':
      if (s.desired > s.current) return t('hpa.limit.within_up', p);
      if (s.desired < s.current && rate) return t('hpa.limit.within_down', p);
      return t('hpa.limit.within', p);
    case 'ScaleUpLimit': return t('hpa.limit.up_limit', p);
    case 'ScaleDownLimit': return t('hpa.limit.down_limit', p);
    case 'TooManyReplicas': return t('hpa.limit.too_many', p);
    case 'TooFewReplicas': return t('hpa.limit.too_few', p);
    default: return t('hpa.limit.within', p);
  }
}

function causeText(e) {
  return t(`hpa.cause.${e?.cause ?? 'unknown'}`, { pod: fmt.int(e?.pod ?? 0) });
}

/** One step as a clause. */
export function stepText(s) {
  switch (s.step) {
    case 'invalid_time': return t('hpa.invalid_time');
    case 'disabled': return t('hpa.disabled');
    case 'out_of_range':
      return t(s.bound === 'max_replicas' ? 'hpa.out_of_range.above' : 'hpa.out_of_range.below', {
        current: fmt.int(s.current), limit: fmt.int(s.limit),
        bound: field(s.bound === 'max_replicas' ? 'autoscaler.max_replicas' : 'autoscaler.min_replicas').label,
      });
    case 'metric_error': return t('hpa.metric_error', { cause: causeText(s.error), keep: fmt.int(s.keep) });
    case 'calc': return t('hpa.calc', { utilization: pctInt(s.utilization_pct), target: pctInt(s.target_pct), ratio: r2(s.ratio) });
    case 'within_tolerance': return t('hpa.within_tolerance', { low: r2(s.low), high: r2(s.high), keep: fmt.int(s.keep) });
    case 'proportional':
      return t.plural(s.ready_only ? 'hpa.proportional.ready' : 'hpa.proportional.all', s.pods, { pods: fmt.int(s.pods), replicas: fmt.int(s.replicas) });
    case 'recomputed': {
      const parts = [];
      if (s.missing_pct != null) parts.push(t.plural('hpa.recomputed.missing', s.missing, { n: fmt.int(s.missing), pct: pctInt(s.missing_pct) }));
      if (s.unready_zeroed > 0) parts.push(t.plural('hpa.recomputed.unready', s.unready_zeroed, { n: fmt.int(s.unready_zeroed) }));
      const assumed = parts.length ? t('hpa.recomputed.counting', { parts: fmt.list(parts) }) : t('hpa.recomputed.nothing');
      return t('hpa.recomputed', { assumed, ratio: r2(s.new_ratio) });
    }
    case 'direction_flip': return t('hpa.direction_flip', { keep: fmt.int(s.keep) });
    case 'against_ratio': return t.plural('hpa.against_ratio', s.pods, { pods: fmt.int(s.pods), replicas: fmt.int(s.replicas), keep: fmt.int(s.keep) });
    case 'stabilized': {
      const key = !s.with_behavior ? 'hpa.stabilized.default' : s.direction === 'scale_up' ? 'hpa.stabilized.up' : 'hpa.stabilized.down';
      return t(key, { window: fmt.s(s.window_s), recommendation: fmt.int(s.recommendation) });
    }
    case 'limit': return limitText(s);
    case 'formula': {
      const p = {
        source: t(`hpa.formula.source.${s.source}`), load: fmt.rps(s.load_rps), target: pctInt(s.target_pct),
        per: fmt.rps(s.per_instance_rps), per_n: r2(s.per_instance_rps), raw: fmt.int(s.raw),
        min: fmt.int(s.min), max: fmt.int(s.max), desired: fmt.int(s.desired),
      };
      return s.raw !== s.desired ? `${t('hpa.formula', p)}${t('hpa.formula.clamped', p)}` : t('hpa.formula', p);
    }
    case 'kpa_observed': return t('hpa.kpa_observed', {
      unit: t(`hpa.kpa_metric.${s.metric}`), window: fmt.s(s.stable_window_s), stable: n3(s.stable),
      panic_window: fmt.s(s.panic_window_s), panic: n3(s.panic),
    });
    case 'kpa_no_data': return s.keep < 0 ? t('hpa.kpa_no_data.none') : t('hpa.kpa_no_data.keep', { keep: fmt.int(s.keep) });
    case 'kpa_pods': {
      const p = {
        stable: n3(s.stable), panic: n3(s.panic), target: n3(s.target), stable_pods: n3(s.stable_pods), panic_pods: n3(s.panic_pods),
        lo: n3(s.max_scale_down), hi: n3(s.max_scale_up), ready: fmt.int(s.ready), desired_stable: fmt.int(s.desired_stable), desired_panic: fmt.int(s.desired_panic),
      };
      return t('hpa.kpa_pods', p) + (s.activation_scale > 1 ? t('hpa.kpa_pods.activation', { scale: fmt.int(s.activation_scale) }) : '');
    }
    case 'kpa_panic': return t(`hpa.kpa_panic.${s.change}`, {
      ratio: n3(s.ratio), threshold: n3(s.threshold), until: fmt.s(s.until_s ?? 0), desired: fmt.int(s.desired),
    });
    case 'kpa_delay': return t('hpa.kpa_delay', { window: fmt.s(s.window_s), delayed: fmt.int(s.delayed), recommended: fmt.int(s.recommended) });
    case 'kpa_burst':
      if (s.target_burst_capacity === 0) return t('hpa.kpa_burst.none');
      if (s.target_burst_capacity < 0) return t('hpa.kpa_burst.unlimited');
      return t('hpa.kpa_burst', { ready: fmt.int(s.ready), total: n3(s.total), tbc: n3(s.target_burst_capacity), panic: n3(s.panic), excess: fmt.int(s.excess) });
    case 'kpa_bounds': return t('hpa.kpa_bounds', {
      desired: fmt.int(s.desired), bounded: fmt.int(s.bounded),
      min: t(s.initial ? 'hpa.kpa_bounds.initial' : 'hpa.kpa_bounds.min', { n: fmt.int(s.min) }),
      max: s.max === 0 ? t('hpa.kpa_bounds.no_max') : t('hpa.kpa_bounds.max', { n: fmt.int(s.max) }),
    });
    case 'kpa_to_zero': return t(`hpa.kpa_to_zero.${s.phase}`, {
      active: fmt.s(s.active_for_s), window: fmt.s(s.stable_window_s), inactive: fmt.s(s.inactive_for_s), proxied: fmt.s(s.proxied_for_s),
      grace: fmt.s(s.grace_s), activating: fmt.s(s.activating_for_s), timeout: fmt.s(s.timeout_s),
    }) + (s.phase === 'grace' && s.retention_s > 0 ? t('hpa.kpa_to_zero.retention', { retention: fmt.s(s.retention_s) }) : '');
    case 'activator': return t(s.in_path ? `hpa.activator.${s.reason}` : 'hpa.activator.out');
    case 'external': {
      const p = { metric: s.metric, usage: n3(s.usage), target: n3(s.target), replicas: fmt.int(s.replicas), ratio: r2(s.ratio), proposal: fmt.int(s.proposal) };
      return t(s.within_tolerance ? 'hpa.external.within' : 'hpa.external', p);
    }
    case 'keda': {
      const why = s.waiting > 0 ? t('hpa.keda.why.waiting', { n: fmt.int(s.waiting) }) : s.recent_requests ? t('hpa.keda.why.recent') : t('hpa.keda.why.nothing');
      return t(`hpa.keda.${s.keda}`, { why, to: fmt.int(s.to ?? 0), idle: fmt.s(s.idle_s ?? 0), cooldown: fmt.s(s.cooldown_s ?? 0), min: fmt.int(s.min ?? 0) });
    }
    case 'scale': return t('hpa.scale', { from: fmt.int(s.from), to: fmt.int(s.to) });
    case 'no_change': return t('hpa.no_change', { current: fmt.int(s.current) });
    default: return t('hpa.unknown_step');
  }
}

/** The whole reasoning as one sentence. */
export function stepsText(steps) {
  return (steps ?? []).map(stepText).join(t('hpa.sep'));
}
