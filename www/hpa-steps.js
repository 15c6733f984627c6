// An autoscaler decision's reasoning in words: the core explains each decision as steps with
// numbers and no words (src/autoscale/hpa/explain.rs); each step here becomes one clause from
// the catalog. Kubernetes' own names (condition reasons such as [ScaleUpLimit], selectPolicy
// values, policy types) stay as Kubernetes spells them.
import { t, fmt, field } from './i18n.js';

const r2 = (x) => fmt.num(Math.round(x * 100) / 100);
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
    case 'scale': return t('hpa.scale', { from: fmt.int(s.from), to: fmt.int(s.to) });
    case 'no_change': return t('hpa.no_change', { current: fmt.int(s.current) });
    default: return t('hpa.unknown_step');
  }
}

/** The whole reasoning as one sentence. */
export function stepsText(steps) {
  return (steps ?? []).map(stepText).join(t('hpa.sep'));
}
