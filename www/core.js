// The core's knowledge as the page reads it: the wasm module, the schema table (ranges,
// names, defaults per path), the codes of the view's columns and the column indices. Nothing
// here is a copy: every name and number comes from the core when the page starts.
import init, * as wasm from './pkg/fleetlab.js';

export const fleetlab = wasm;
export let memory = null;
/** Schema rows: path → [rows] (several for autoscaler fields: one per variant). */
export const schemaRows = new Map();
export let schemaList = [];
/** View columns: name → index; `fields` is the list. */
export let F = {};
export let fields = [];
/** `codes()`: {lifecycle: [...], registry: [...], flags: [[name, bit], ...]}. */
export let codes = null;
/** Every event-log kind (the core refuses any other breakpoint name and lists these). */
export let logKinds = [];

/** Loads the wasm (from its URL, or from `wasmBytes` when given: the node tests). */
export async function start(wasmBytes) {
  const out = await init(wasmBytes ? { module_or_path: wasmBytes } : undefined);
  memory = out.memory;
  schemaList = wasm.schema();
  for (const row of schemaList) {
    if (!schemaRows.has(row.path)) schemaRows.set(row.path, []);
    schemaRows.get(row.path).push(row);
  }
  fields = wasm.Simulation.view_fields();
  F = Object.fromEntries(fields.map((n, i) => [n, i]));
  codes = wasm.codes();
  try {
    const probe = new wasm.Simulation({});
    try { probe.set_breakpoints(['']); } catch (e) { logKinds = e.allowed ?? []; }
    probe.free();
  } catch { logKinds = []; }
}

/** The schema row of `path` (for the autoscaler variant `kind` when the field has variants). */
export function row(path, kind) {
  const rows = schemaRows.get(path.replace(/\[\d*\]/g, '[]'));
  if (!rows) return null;
  return rows.find((r) => r.kind == null || r.kind === kind) ?? rows[0];
}

/** Rows directly or indirectly under `prefix.` that exist for autoscaler `kind`. */
export function rowsUnder(prefix, kind) {
  const seen = new Set();
  const out = [];
  for (const r of schemaList) {
    if (!r.path.startsWith(`${prefix}.`) || seen.has(r.path)) continue;
    if (r.kinds.length && !r.kinds.includes(kind)) continue;
    const mine = row(r.path, kind);
    seen.add(r.path);
    out.push(mine);
  }
  return out;
}

/** The code's name in a view column (`lifecycle`, `registry`). */
export const codeName = (column, code) => codes[column]?.[code] ?? null;
/** Whether a view row's flags have the flag `name`. */
export function hasFlag(flags, name) {
  const bit = codes.flags.find(([n]) => n === name)?.[1];
  return bit != null && (flags & bit) !== 0;
}
export const flagNames = (flags) => codes.flags.filter(([, b]) => flags & b).map(([n]) => n);

function rowAt(v, o) {
  const r = {};
  for (let i = 0; i < fields.length; i++) r[fields[i]] = v[o + i];
  r.lifecycle = codeName('lifecycle', r.lifecycle);
  r.registry = codeName('registry', r.registry);
  r.flagNames = flagNames(r.flags);
  return r;
}

/** Per-instance rows of the view (at most `max`) as objects keyed by column name (codes as names). */
export function readRows(sim, max = Infinity) {
  const nf = fields.length;
  const v = new Float32Array(memory.buffer, sim.view_ptr(), sim.view_len());
  const rows = [];
  for (let o = 0; o + nf <= v.length && rows.length < max; o += nf) rows.push(rowAt(v, o));
  return rows;
}

/** One instance's row, or null (it has left the fleet). */
export function readRow(sim, id) {
  const nf = fields.length;
  const v = new Float32Array(memory.buffer, sim.view_ptr(), sim.view_len());
  for (let o = F.id; o < v.length; o += nf) if (v[o] === id) return rowAt(v, o - F.id);
  return null;
}

/** The view as a Float32Array over wasm memory (a fresh one each frame: memory can grow). */
export function viewArray(sim) {
  return new Float32Array(memory.buffer, sim.view_ptr(), sim.view_len());
}
