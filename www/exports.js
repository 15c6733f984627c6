// Downloads for teachers: the timeline as CSV (the core's columns, one row per simulated
// second), the summary as JSON (the CLI's object), any chart or the fleet drawing as PNG.
import { h } from './dom.js';

/** Saves a Blob under `name` through a temporary same-origin object URL. */
export function download(blob, name) {
  if (!blob) return;
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The timeline columns as CSV text (header = the core's column names). */
export function timelineCsv(tl) {
  const cols = Object.keys(tl);
  const n = tl[cols[0]]?.length ?? 0;
  const lines = [cols.join(',')];
  for (let i = 0; i < n; i++) lines.push(cols.map((c) => (tl[c][i] == null ? '' : String(tl[c][i]))).join(','));
  return `${lines.join('\n')}\n`;
}

export const csvBlob = (tl) => new Blob([timelineCsv(tl)], { type: 'text/csv' });
export const jsonBlob = (obj) => new Blob([`${JSON.stringify(obj, null, 2)}\n`], { type: 'application/json' });

/** A canvas (or whatever FleetView.toPNG() gives) as a PNG Blob. */
export async function pngBlob(source) {
  const v = await source;
  if (v instanceof Blob) return v;
  if (typeof v === 'string' && v.startsWith('data:')) {
    // decoded here: the page's content policy allows fetch() of its own origin only
    const bin = atob(v.slice(v.indexOf(',') + 1));
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type: 'image/png' });
  }
  if (v instanceof HTMLCanvasElement) return new Promise((ok) => v.toBlob(ok, 'image/png'));
  return null;
}
