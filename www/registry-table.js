// The registry as a table read from the view's data rows (not from the drawing): each
// instance's lifecycle, registry state, lease time left, whether the balancer's discovery view
// has it, its queue and what is wrong with it. It scrolls inside itself.
import { h, fill } from './dom.js';
import { t, fmt } from './i18n.js';

const MAX_ROWS = 200;

export class RegistryTable {
  constructor({ onSelect }) {
    this.onSelect = onSelect;
    this.body = h('tbody');
    this.note = h('p', { class: 'help' });
    const th = (k) => h('th', { scope: 'col' }, t(`reg.col.${k}`));
    this.el = h('div', { class: 'registry-table' },
      h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('reg.table_label') },
        h('table', null,
          h('thead', null, h('tr', null, ['id', 'lifecycle', 'registry', 'lease', 'view', 'queue', 'notes'].map(th))),
          this.body)),
      this.note);
    this.key = '';
  }

  /** @param {object[]} rows  readRows(sim) (the first ones)  @param {number} total  instances in the view */
  update(rows, selected, total = rows.length) {
    const shown = rows.slice(0, MAX_ROWS);
    const cells = shown.map((r) => [
      r.id, t(`life.${r.lifecycle}`), t(`reg.${r.registry}`),
      r.registry === 'up' || r.registry === 'suspect' ? fmt.s(r.lease_left_s) : '—',
      t(r.in_view ? 'reg.in_view' : 'reg.not_in_view'), fmt.int(r.queue),
      r.flagNames.map((f) => t(`flag.${f}`)).join(', '),
    ]);
    const key = JSON.stringify([cells, selected]);
    if (key === this.key) return;
    this.key = key;
    fill(this.body, cells.map((c, i) => h('tr', { class: shown[i].id === selected ? 'sel' : null, 'data-id': shown[i].id },
      h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => this.onSelect(shown[i].id) }, `#${c[0]}`)),
      c.slice(1).map((x) => h('td', null, x)))));
    this.note.textContent = total > MAX_ROWS ? t('reg.more', { shown: fmt.int(MAX_ROWS), total: fmt.int(total) }) : '';
  }
}
