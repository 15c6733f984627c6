// The address keeps the whole view in its fragment:
//   #scenario=<the run's description as JSON>&lang=zh-CN&speed=2&tab=balancer
//    &lesson=<id>&step=<n>&t=<seconds>&compare=<a>,<b>[,<c>[,<d>]],<seconds>&classroom=1
// Every part is optional and unknown parts are ignored. The scenario is the core's
// description() (starting settings + scheduled changes + clicked faults + recorded edits)
// minus what equals the core's own defaults, so links stay short and replay the run exactly.

export const PARTS = ['scenario', 'lang', 'speed', 'tab', 'lesson', 'step', 't', 'compare', 'classroom'];

/** The fragment's parts as strings (absent parts are absent). */
export function readFragment(hash = location.hash) {
  const out = {};
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const k = i < 0 ? part : part.slice(0, i);
    if (!PARTS.includes(k)) continue;
    try {
      out[k] = decodeURIComponent(i < 0 ? '' : part.slice(i + 1));
    } catch {
      out[k] = null; // not valid percent-encoding: reported by the reader of that part
    }
  }
  return out;
}

/** Parts → fragment, in a fixed order; null/undefined/'' parts are left out. */
export function writeFragment(parts) {
  const out = [];
  for (const k of PARTS) {
    const v = parts[k];
    if (v == null || v === '') continue;
    out.push(`${k}=${encodeURIComponent(String(v)).replace(/%2C/g, ',').replace(/%3A/g, ':')}`);
  }
  return out.length ? `#${out.join('&')}` : '';
}

/** The parts of `full` that differ from `defaults` (deep for objects, whole for lists). */
export function diff(full, defaults) {
  const out = {};
  for (const [k, v] of Object.entries(full ?? {})) {
    const d = defaults?.[k];
    const obj = (x) => x && typeof x === 'object' && !Array.isArray(x);
    if (obj(v) && obj(d) && !('kind' in v && v.kind !== d.kind)) {
      const sub = diff(v, d);
      if (Object.keys(sub).length) out[k] = sub;
    } else if (JSON.stringify(v) !== JSON.stringify(d)) {
      out[k] = v;
    }
  }
  return out;
}

let timer = 0;
/**
 * Replaces the address (no history entry) within `delay` ms, with the parts as they are then.
 * A write already scheduled is kept, not postponed: calls four times a second must not hold
 * the address back forever.
 */
export function scheduleWrite(getParts, delay = 250) {
  if (timer) return;
  timer = setTimeout(() => {
    timer = 0;
    writeNow(getParts());
  }, delay);
}

export function writeNow(parts) {
  clearTimeout(timer);
  timer = 0;
  const url = location.pathname + location.search + writeFragment(parts);
  if (url !== location.pathname + location.search + location.hash) history.replaceState(null, '', url);
}
