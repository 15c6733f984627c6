// The core's refusals in plain words, in the page's language. Every error the core throws
// carries its field (a schema path or an argument name), its kind and that kind's data (the
// allowed range, names, …); the message is built from those and the catalogs — the field's
// label, the rule for its range — never from the core's English sentence. `typed` is the text
// the person typed, when there is one, so the message can say what was wrong with it.
import { t, field, hasField, fmt, nameOf } from './i18n.js';
import { row } from './core.js';

/** "a whole number from 1 to 100,000" for a range {min, max, integer}. */
export function ruleText(range) {
  if (!range) return '';
  const p = { min: fmt.exact(range.min), max: fmt.exact(range.max) };
  return t(range.integer ? 'err.rule.int' : 'err.rule.num', p);
}

/** The hint under a number field: "whole number, 1 – 100,000". */
export function hintText(range, unit) {
  if (!range) return '';
  const p = { min: fmt.exact(range.min), max: fmt.exact(range.max), unit: unit ? unitWord(unit) : '' };
  return t(range.integer ? 'hint.int' : 'hint.num', p).trim();
}

export function unitWord(unit) {
  return { 's': t('unit.word.s'), 'req/s': t('unit.word.rps'), '%': '%', '×': '×' }[unit] ?? unit;
}

/** Catalog prefixes for the names an argument (not a schema field) allows. */
const ARG_NAMES = { step: 'time.unit.', breakpoints: 'bp.', kind: 'fault.' };

function nameList(path, names) {
  return fmt.orList((names ?? []).map((n) => {
    const w = row(path) ? nameOf(path, n) : ARG_NAMES[path] && t.has(`${ARG_NAMES[path]}${n}`) ? t(`${ARG_NAMES[path]}${n}`) : n;
    return `“${w}”`;
  }));
}

/**
 * The message for a thrown core error.
 * @param {Error & {field?: string, kind?: string}} err
 * @param {{typed?: string, keeping?: string}} [ctx]
 */
export function errorText(err, ctx = {}) {
  const kind = err?.kind ?? 'other';
  const path = err?.field ?? '';
  const label = kind === 'unknown_field' ? path : path ? field(path).label : t('err.the_value');
  // a range from the error, or else from the schema (list entries report none of their own)
  const range = err?.range ?? row(path)?.range ?? null;
  const typed = ctx.typed;
  let s;
  switch (kind) {
    case 'empty':
    case 'not_a_number':
    case 'not_whole':
    case 'out_of_range': {
      const why = typed != null && typed.trim() === '' ? t('err.why.empty')
        : kind === 'empty' ? t('err.why.empty')
        : kind === 'not_a_number' ? t('err.why.not_a_number', { got: shorten(typed) })
        : kind === 'not_whole' ? t('err.why.not_whole', { got: shorten(typed) })
        : t('err.why.out_of_range', { got: shorten(typed) });
      s = range ? t('err.number', { field: label, rule: ruleText(range), why }) : t('err.number_norange', { field: label, why });
      break;
    }
    case 'unknown_name':
      s = t('err.unknown_name', { field: label, list: nameList(path, err.allowed) });
      break;
    case 'unknown_field':
      s = t('err.unknown_field', { field: path });
      break;
    case 'wrong_type':
      s = t('err.wrong_type', { field: label });
      break;
    case 'missing':
      s = t('err.missing', { field: label });
      break;
    case 'duplicate':
      s = t('err.duplicate', { field: label });
      break;
    case 'too_many':
      s = t('err.too_many', { field: label, max: fmt.int(err.max) });
      break;
    case 'not_prime':
      s = t('err.not_prime', { field: label, rule: ruleText(range) });
      break;
    case 'not_below':
      s = t('err.not_below', { field: label, other: otherLabel(path, err.other), limit: fmt.exact(err.limit) });
      break;
    case 'not_at_least':
      s = t('err.not_at_least', { field: label, other: otherLabel(path, err.other), limit: fmt.exact(err.limit) });
      break;
    case 'out_of_order':
      s = t('err.out_of_order', { field: label, previous: fmt.exact(err.previous) });
      break;
    case 'needs_keys':
      s = t('err.needs_keys', { algorithm: nameOf('balancer.algorithm', err.algorithm), keys: field('traffic.keys').label });
      break;
    case 'needs_scale_from_zero':
      s = t('err.needs_scale_from_zero', { field: label, list: fmt.orList((err.autoscalers ?? []).map((k) => `“${nameOf('autoscaler.kind', k)}”`)) });
      break;
    case 'unlimited_or_at_least':
      s = t('err.unlimited_or_at_least', { field: label, unlimited: fmt.exact(err.unlimited), min: fmt.exact(err.min) });
      break;
    case 'no_such_instance':
      s = t('err.no_such_instance', { id: fmt.int(err.id) });
      break;
    case 'not_live':
      s = t('err.not_live', { field: label });
      break;
    case 'syntax':
      s = t('err.syntax', { line: fmt.int(err.line), column: fmt.int(err.column) });
      break;
    default:
      s = t('err.other', { field: label });
  }
  return ctx.keeping ? t.sentences(s, t('err.keeping', { value: ctx.keeping })) : s;
}

/** The other field of a relation: a full path, or a name beside the erring field. */
function otherLabel(path, other) {
  if (hasField(other)) return field(other).label;
  const parent = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
  return field(parent ? `${parent}.${other}` : other).label;
}

function shorten(s) {
  const x = String(s ?? '').trim();
  return x.length > 24 ? `${x.slice(0, 23)}…` : x;
}
