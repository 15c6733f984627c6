// The page's address encodes the scenario: #scenario=<encodeURIComponent(JSON)>.
// Only the fields that differ from the defaults are written, so links stay short.

/** Reads the hash. Returns {scenario} (object or null when absent) or {error}. */
export function readScenarioFromHash(hash = location.hash) {
  const m = /^#?(?:.*&)?scenario=([^&]*)/.exec(hash);
  if (!m) return { scenario: null };
  let text;
  try {
    text = decodeURIComponent(m[1]);
  } catch {
    return { error: 'the #scenario part of the address is not valid percent-encoding' };
  }
  try {
    const scenario = JSON.parse(text);
    if (scenario === null || typeof scenario !== 'object' || Array.isArray(scenario)) {
      return { error: 'the #scenario part of the address must be a JSON object' };
    }
    return { scenario };
  } catch (e) {
    return { error: `the #scenario part of the address is not valid JSON (${e.message})` };
  }
}

/** The parts of `full` that differ from `defaults` (deep, arrays compared whole). */
export function diff(full, defaults) {
  const out = {};
  for (const [k, v] of Object.entries(full)) {
    const d = defaults?.[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && d && typeof d === 'object' && !Array.isArray(d)) {
      const sub = diff(v, d);
      if (Object.keys(sub).length) out[k] = sub;
    } else if (JSON.stringify(v) !== JSON.stringify(d)) {
      out[k] = v;
    }
  }
  return out;
}

let timer = 0;
/** Debounced history.replaceState of the scenario (a function, evaluated when it fires). */
export function scheduleHashUpdate(getScenario, defaults, delay = 300) {
  clearTimeout(timer);
  timer = setTimeout(() => writeHashNow(getScenario(), defaults), delay);
}

export function writeHashNow(scenario, defaults) {
  clearTimeout(timer);
  const d = diff(scenario, defaults);
  const hash = Object.keys(d).length ? `#scenario=${encodeURIComponent(JSON.stringify(d))}` : '';
  const url = location.pathname + location.search + hash;
  if (url !== location.pathname + location.search + location.hash) history.replaceState(null, '', url);
}
