// The page's words: two message catalogs per language, loaded as data —
//   i18n/<lang>.json         UI strings, flat keys ("header.reset": "Reset"), placeholders {name};
//   i18n/fields.<lang>.json  one entry per scenario schema path: {label, help} (and `names` for
//                            fields holding a name: the words for each allowed name).
// `t(key, params)` fills a string, `t.plural(key, n, params)` picks `key.one`/`key.other` by
// the language's plural rules, `field(path)` gives a schema path's label and help (list
// indices read as `[]`), and `fmt` formats numbers and units for the language (Intl).
// A missing key is reported on the console (the page tests fail on that) and shown as its key.

export const LANGS = ['en', 'zh-CN'];

const cache = new Map();
let ui = {};
let fields = {};
let plural = new Intl.PluralRules('en');
export let lang = 'en';

async function getJson(url) {
  if (!cache.has(url)) {
    cache.set(url, fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.json();
    }));
  }
  return cache.get(url);
}

/** Loads a language's catalogs and makes it current. */
export async function setLang(next) {
  const l = LANGS.includes(next) ? next : 'en';
  const [u, f] = await Promise.all([getJson(`i18n/${l}.json`), getJson(`i18n/fields.${l}.json`)]);
  useCatalogs(l, u, f);
  document.documentElement.lang = l;
}

/** Makes `l` current with these catalogs (setLang's second half; tests call it directly). */
export function useCatalogs(l, uiCatalog, fieldsCatalog) {
  ui = uiCatalog;
  fields = fieldsCatalog;
  lang = l;
  plural = new Intl.PluralRules(l);
  fmt = makeFormat(l);
}

/** The language a first visit gets: the first of the browser's languages the page has. */
export function preferredLang(list = navigator.languages ?? [navigator.language]) {
  for (const l of list ?? []) {
    const low = String(l).toLowerCase();
    if (low.startsWith('zh')) return 'zh-CN';
    if (low.startsWith('en')) return 'en';
  }
  return 'en';
}

function fillIn(s, params) {
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

function missing(key) {
  console.error(`fleetlab i18n: no "${key}" in the ${lang} catalog`);
  return key;
}

/** The UI string `key` with its {placeholders} filled from `params`. */
export function t(key, params) {
  const s = ui[key];
  return s == null ? missing(key) : fillIn(s, params);
}

t.has = (key) => ui[key] != null;
/** Sentences joined the language's way (a space in English, nothing after "。"). */
t.sentences = (...parts) => parts.filter(Boolean).join(ui['sep.sentence'] ?? ' ');
t.plural = (key, n, params) => {
  const form = plural.select(n);
  const k = ui[`${key}.${form}`] != null ? `${key}.${form}` : `${key}.other`;
  return t(k, params);
};

/** A schema path with list indices as `[]` (`policies[2].value` → `policies[].value`). */
export const schemaPath = (path) => String(path).replace(/\[\d*\]/g, '[]');

/** Whether the fields catalog has `path` (list indices read as `[]`). */
export const hasField = (path) => fields[schemaPath(path)] != null;

/** Label and help of a schema path (or of an argument name from the UI catalog's `arg.*`). */
export function field(path) {
  const p = schemaPath(path);
  const f = fields[p];
  if (f) return f;
  if (t.has(`arg.${p}`)) return { label: t(`arg.${p}`), help: '' };
  return { label: missing(`fields:${p}`), help: '' };
}

/** The words for `name`, one of the allowed names of the schema field `path`. */
export function nameOf(path, name) {
  const words = fields[schemaPath(path)]?.names?.[name];
  return words ?? missing(`fields:${schemaPath(path)}.names.${name}`);
}

// ------------------------------------------------------------------ numbers and units

export let fmt = makeFormat('en');

function makeFormat(l) {
  const nf = (o) => new Intl.NumberFormat(l, o);
  const f0 = nf({ maximumFractionDigits: 0 });
  const f1 = nf({ maximumFractionDigits: 1 });
  const f2 = nf({ maximumFractionDigits: 2 });
  const f6 = nf({ maximumFractionDigits: 6 });
  const p0 = nf({ style: 'percent', maximumFractionDigits: 0 });
  const p1 = nf({ style: 'percent', maximumFractionDigits: 1 });
  const ok = (x) => x != null && Number.isFinite(x);
  const dash = '—';
  /** Up to 3 significant decimals for small numbers, none for big ones. */
  const num = (x) => {
    if (!ok(x)) return dash;
    const a = Math.abs(x);
    return (a >= 100 ? f0 : a >= 10 ? f1 : f2).format(x);
  };
  return {
    num,
    /** Every digit (range ends such as 0.001 or 9,007,199,254,740,991). */
    exact: (x) => (ok(x) ? f6.format(x) : dash),
    int: (x) => (ok(x) ? f0.format(x) : dash),
    pct: (x) => (ok(x) ? p0.format(x) : dash),
    pct1: (x) => (ok(x) ? p1.format(x) : dash),
    /** A duration in seconds, as ms below 10 s. */
    ms: (s) => {
      if (!ok(s)) return dash;
      const m = s * 1000;
      if (m >= 10000) return t('unit.s', { x: f1.format(s) });
      return t('unit.ms', { x: m >= 100 ? f0.format(m) : m >= 10 ? f1.format(m) : f2.format(m) });
    },
    s: (s) => (ok(s) ? t('unit.s', { x: num(s) }) : dash),
    rps: (x) => (ok(x) ? t('unit.rps', { x: num(x) }) : dash),
    times: (x) => (ok(x) ? t('unit.times', { x: f2.format(x) }) : dash),
    /** A list joined the language's way ("a, b and c" / "a、b 和 c"). */
    list: (items) => new Intl.ListFormat(l, { type: 'conjunction' }).format(items),
    /** Alternatives ("a, b or c" / "a、b或c"). */
    orList: (items) => new Intl.ListFormat(l, { type: 'disjunction' }).format(items),
  };
}
