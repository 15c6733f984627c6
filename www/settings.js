// A panel's settings, drawn from the schema: every field of the panel (relevance.js says which
// panel and when it matters) gets a control by its type — a number field with its range in
// words, a select of its names, a checkbox, a group for an object, a switchable group for an
// optional object, an editable list for the HPA's policies — labelled and explained from the
// fields catalog. Values come from the settings in force (sim.scenario()); every change goes
// to the core as an edit of that path, and the core's refusal is worded beside the control.
import { h, fill } from './dom.js';
import { t, field, nameOf, fmt } from './i18n.js';
import { schemaList, row } from './core.js';
import { NumberField, uid } from './controls.js';
import { hintText, errorText } from './errors.js';
import { relevant, panelOf, OWN_CONTROL } from './relevance.js';

export function getPath(obj, path) {
  let node = obj;
  for (const part of path.split('.')) {
    if (node == null) return undefined;
    node = node[part];
  }
  return node;
}

const parentOf = (p) => (p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '');
const owned = (p) => [...OWN_CONTROL].some((o) => p === o || p.startsWith(`${o}.`) || p.startsWith(`${o}[]`));

/** A value as people read it, with its unit. */
export function valueWords(path, v, kind) {
  if (v == null) return t('settings.not_set');
  const r = row(path, kind);
  if (r?.type === 'name') return nameOf(path, v);
  if (typeof v === 'boolean') return t(v ? 'settings.on' : 'settings.off');
  if (typeof v !== 'number') return String(v);
  const u = r?.unit;
  if (u === 's') return fmt.s(v);
  if (u === 'req/s') return fmt.rps(v);
  if (u === '%') return t('unit.pct', { x: fmt.num(v) });
  if (u === '×') return fmt.times(v);
  return fmt.num(v);
}

export class SettingsForm {
  /**
   * @param {object} o
   * @param {string} o.panel  serving | balancer | registry | autoscaler
   * @param {(path: string, value: any) => void} o.edit  applies (or throws the core's error)
   * @param {(path: string, text: string) => any} o.parse  typed text as the field's value (the core parses)
   * @param {(path: string) => HTMLElement|null} [o.extra]  extra content after a field's control
   */
  constructor(o) {
    this.o = o;
    this.el = h('div', { class: 'settings-form', 'data-panel': o.panel });
    this.key = '';
    this.controls = new Map(); // path → {set(sc)}
  }

  /** The rows this panel shows now, in schema order. */
  rows(sc) {
    const kind = sc.autoscaler?.kind;
    const out = [];
    const seen = new Set();
    for (const r0 of schemaList) {
      const p = r0.path;
      if (seen.has(p) || panelOf(p) !== this.o.panel || owned(p)) continue;
      if (['balancer', 'registry', 'autoscaler', 'traffic', 'instances'].includes(p)) continue;
      if (r0.kinds.length && !r0.kinds.includes(kind)) continue;
      if (!relevant(p, sc)) continue;
      // inside an optional object that is off: hidden with it
      if (this.insideOff(p, sc)) continue;
      seen.add(p);
      out.push(row(p, kind));
    }
    return out;
  }

  insideOff(p, sc) {
    for (let q = parentOf(p); q; q = parentOf(q)) {
      const r = row(q, sc.autoscaler?.kind);
      if (r?.type === 'optional' && getPath(sc, q) == null) return true;
      if (r?.type === 'list') return true; // list entries are drawn by their list
    }
    return false;
  }

  /** Redraws when the set of fields changed, else refreshes values. */
  update(sc) {
    this.current = sc;
    const rows = this.rows(sc);
    const key = JSON.stringify(rows.map((r) => [r.path, r.type === 'list' ? (getPath(sc, r.path) ?? []).length : 0]));
    if (key !== this.key) {
      this.key = key;
      this.controls.clear();
      fill(this.el, this.build(rows, sc));
    }
    for (const c of this.controls.values()) c.set(sc);
  }

  build(rows, sc) {
    // group by parent: each object or optional object is a fieldset
    const byParent = new Map();
    for (const r of rows) {
      const p = parentOf(r.path);
      if (!byParent.has(p)) byParent.set(p, []);
      byParent.get(p).push(r);
    }
    const render = (r) => {
      if (r.type === 'object' || r.type === 'optional') {
        const kids = (byParent.get(r.path) ?? []).map(render);
        return this.group(r, kids, sc);
      }
      return this.control(r, sc);
    };
    const roots = rows.filter((r) => !rows.some((q) => q.path === parentOf(r.path)));
    // top-level groups by their section (serving: run / traffic / instances)
    const sections = new Map();
    for (const r of roots) {
      const sec = r.path.split('.').length > 1 ? r.path.split('.')[0] : '';
      if (!sections.has(sec)) sections.set(sec, []);
      sections.get(sec).push(render(r));
    }
    if (this.o.panel !== 'serving') return [...sections.values()].flat();
    return [...sections.entries()].map(([sec, els]) => h('fieldset', { class: 'group' },
      h('legend', null, sec ? field(sec).label : t('settings.run')), els));
  }

  group(r, kids, sc) {
    const f = field(r.path);
    if (r.type === 'optional') {
      const id = uid('opt');
      const err = h('p', { class: 'err', role: 'alert', id: `${id}-err` });
      const box = h('input', {
        type: 'checkbox', id, 'aria-describedby': `${id}-help ${id}-err`,
        onchange: () => {
          try {
            this.o.edit(r.path, box.checked ? {} : null);
            err.textContent = '';
          } catch (e) {
            box.checked = !box.checked;
            err.textContent = errorText(e);
          }
        },
      });
      this.controls.set(r.path, { set: (s) => { box.checked = getPath(s, r.path) != null; } });
      return h('fieldset', { class: 'group optional', 'data-field': r.path },
        h('legend', null, h('span', { class: 'check' }, box, h('label', { for: id }, f.label))),
        h('p', { class: 'help', id: `${id}-help` }, f.help), err, kids);
    }
    return h('fieldset', { class: 'group', 'data-field': r.path },
      h('legend', null, f.label), f.help ? h('p', { class: 'help' }, f.help) : null, kids);
  }

  control(r, sc) {
    const f = field(r.path);
    const kind = sc.autoscaler?.kind;
    let el;
    if (r.type === 'int' || r.type === 'float') {
      const nf = new NumberField({
        path: r.path, label: f.label, help: f.help,
        hint: r.nullable ? `${hintText(r.range, r.unit)} · ${t('hint.empty_is_default')}` : hintText(r.range, r.unit),
        apply: (text) => this.o.edit(r.path, r.nullable && text === '' ? null : text),
        keeping: () => valueWords(r.path, getPath(this.current, r.path), kind),
      });
      this.controls.set(r.path, { set: (s) => { this.current = s; nf.follow(getPath(s, r.path) ?? null); } });
      el = nf.el;
    } else if (r.type === 'name') {
      const id = uid('sel');
      const err = h('p', { class: 'err', role: 'alert', id: `${id}-err` });
      const sel = h('select', {
        id, 'data-path': r.path, 'aria-describedby': `${id}-help ${id}-err`,
        onchange: () => {
          try {
            this.o.edit(r.path, sel.value);
            err.textContent = '';
          } catch (e) {
            err.textContent = errorText(e);
          }
        },
      }, r.names.map((n) => h('option', { value: n }, nameOf(r.path, n))));
      this.controls.set(r.path, { set: (s) => { const v = getPath(s, r.path); if (v != null && document.activeElement !== sel) sel.value = v; } });
      el = h('div', { class: 'field', 'data-field': r.path }, h('label', { for: id }, f.label), sel,
        h('p', { class: 'help', id: `${id}-help` }, f.help), err);
    } else if (r.type === 'bool') {
      const id = uid('chk');
      const err = h('p', { class: 'err', role: 'alert' });
      const box = h('input', {
        type: 'checkbox', id, 'data-path': r.path,
        onchange: () => {
          try { this.o.edit(r.path, box.checked); err.textContent = ''; } catch (e) { box.checked = !box.checked; err.textContent = errorText(e); }
        },
      });
      this.controls.set(r.path, { set: (s) => { box.checked = !!getPath(s, r.path); } });
      el = h('div', { class: 'field check', 'data-field': r.path }, box, h('label', { for: id }, f.label), h('p', { class: 'help' }, f.help), err);
    } else if (r.type === 'list') {
      el = this.list(r, sc);
    } else {
      return null;
    }
    const extra = this.o.extra?.(r.path);
    return extra ? h('div', { class: 'with-extra' }, el, extra) : el;
  }

  /** An editable list of objects (the HPA's scaling policies): one row per entry. */
  list(r, sc) {
    const kind = sc.autoscaler?.kind;
    const f = field(r.path);
    const entries = () => structuredClone(getPath(this.current ?? sc, r.path) ?? []);
    const childRows = schemaList.filter((q) => parentOf(q.path) === `${r.path}[]` && (!q.kinds.length || q.kinds.includes(kind)));
    const err = h('p', { class: 'err', role: 'alert' });
    const apply = (list) => this.o.edit(r.path, list);
    const body = h('div', { class: 'list-rows' });
    const items = getPath(sc, r.path) ?? [];
    items.forEach((_, i) => {
      const cells = childRows.map((c) => {
        const name = c.path.slice(c.path.lastIndexOf('.') + 1);
        const cf = field(c.path);
        if (c.type === 'name') {
          const id = uid('sel');
          const sel = h('select', {
            id, 'data-path': c.path,
            onchange: () => {
              const list = entries();
              list[i][name] = sel.value;
              try { apply(list); err.textContent = ''; } catch (e) { err.textContent = errorText(e); }
            },
          }, c.names.map((n) => h('option', { value: n }, nameOf(c.path, n))));
          this.controls.set(`${r.path}[${i}].${name}`, { set: (s) => { const v = getPath(s, r.path)?.[i]?.[name]; if (v != null) sel.value = v; } });
          return h('div', { class: 'field' }, h('label', { for: id }, cf.label), sel);
        }
        const nf = new NumberField({
          path: c.path, label: cf.label, hint: hintText(c.range, c.unit),
          apply: (text) => {
            const list = entries();
            list[i][name] = c.nullable && text.trim() === '' ? null : this.o.parse(c.path, text);
            apply(list);
          },
          keeping: () => valueWords(c.path, getPath(this.current, r.path)?.[i]?.[name], kind),
        });
        this.controls.set(`${r.path}[${i}].${name}`, { set: (s) => nf.follow(getPath(s, r.path)?.[i]?.[name] ?? null) });
        return nf.el;
      });
      const remove = h('button', {
        type: 'button', class: 'small',
        onclick: () => {
          const list = entries();
          list.splice(i, 1);
          try { apply(list); } catch (e) { err.textContent = errorText(e); }
        },
      }, t('settings.remove_entry', { n: i + 1 }));
      body.append(h('div', { class: 'list-row' }, cells, remove));
    });
    const add = h('button', {
      type: 'button', class: 'small',
      onclick: () => {
        const list = entries();
        // a new entry starts as a copy of the last one, or at the smallest allowed values
        const fresh = list.length ? { ...list[list.length - 1] } : Object.fromEntries(childRows.map((c) => [
          c.path.slice(c.path.lastIndexOf('.') + 1), c.type === 'name' ? c.names[0] : c.range?.min ?? null]));
        list.push(fresh);
        try { apply(list); err.textContent = ''; } catch (e) { err.textContent = errorText(e); }
      },
    }, t('settings.add_entry'));
    this.controls.set(r.path, { set: (s) => { this.current = s; } });
    return h('fieldset', { class: 'group list', 'data-field': r.path },
      h('legend', null, f.label), h('p', { class: 'help' }, items.length ? f.help : t('settings.list_empty', { help: f.help })),
      body, add, err);
  }
}

