// Number formatting shared by the panels: units everywhere, no long decimals.
const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const nf1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const nf0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export const num = (x) => (x == null || !Number.isFinite(x) ? '—' : nf.format(x));
export const int = (x) => (x == null || !Number.isFinite(x) ? '—' : nf0.format(x));
export const rps = (x) => (x == null || !Number.isFinite(x) ? '—' : `${nf.format(x)} req/s`);

/** Seconds → "12.3 ms" / "1.24 s". */
export function ms(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const m = seconds * 1000;
  if (m >= 10000) return `${nf1.format(seconds)} s`;
  if (m >= 100) return `${nf0.format(m)} ms`;
  if (m >= 10) return `${nf1.format(m)} ms`;
  return `${nf.format(m)} ms`;
}

export const pct = (x) => (x == null || !Number.isFinite(x) ? '—' : `${nf0.format(x * 100)}%`);
