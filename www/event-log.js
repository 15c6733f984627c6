// The event list: newest first, one line per log entry worded from its data, with a filter
// per group (registry, faults, health, scaling, traffic). A reader of the log dispatcher; it
// keeps the last entries so a language switch can reword them.
import { h, fill } from './dom.js';
import { t, fmt } from './i18n.js';
import { logText, who } from './log.js';
import { stepsText } from './hpa-steps.js';

const MAX = 300;
export const GROUPS = ['registry', 'fault', 'health', 'scaling', 'traffic'];

export class EventLog {
  constructor() {
    this.entries = [];
    this.shown = new Set(GROUPS);
    this.list = h('ol', { class: 'event-log', 'aria-label': t('log.list_label'), tabindex: '0' });
    const boxes = GROUPS.map((g) => {
      const id = `log-g-${g}`;
      return h('span', { class: 'check' },
        h('input', { type: 'checkbox', id, checked: true, 'data-group': g, onchange: (e) => this.toggle(g, e.target.checked) }),
        h('label', { for: id }, t(`log.group.${g}`)));
    });
    this.filters = h('fieldset', { class: 'log-filter' }, h('legend', null, t('log.filter')), boxes);
    this.el = h('section', { class: 'card log-card', id: 'event-log', 'data-show': 'log', 'aria-labelledby': 'h-log' },
      h('h2', { id: 'h-log' }, t('log.title')), this.filters, this.list);
  }

  toggle(g, on) {
    if (on) this.shown.add(g); else this.shown.delete(g);
    this.redraw();
  }

  /** Shows only `group` (a lesson's "log:registry"), or every group. */
  only(group) {
    this.shown = new Set(group ? [group] : GROUPS);
    for (const box of this.filters.querySelectorAll('input')) box.checked = this.shown.has(box.dataset.group);
    this.redraw();
  }

  /** The dispatcher's reader. */
  onLog(entries) {
    if (entries == null) { this.entries = []; this.list.replaceChildren(); return; }
    for (const e of entries) this.entries.push(e);
    if (this.entries.length > MAX) this.entries.splice(0, this.entries.length - MAX);
    const frag = document.createDocumentFragment();
    for (const e of entries) if (this.shown.has(e.group)) frag.prepend(this.item(e));
    this.list.prepend(frag);
    while (this.list.childElementCount > MAX) this.list.lastElementChild.remove();
  }

  item(e) {
    return h('li', { class: `g-${e.group}`, 'data-kind': e.kind, 'data-seq': e.seq },
      h('span', { class: 't' }, fmt.s(e.t_s)), ' ',
      h('span', { class: 'who' }, who(e)), ' ',
      h('span', { class: 'txt' }, logText(e)),
      e.explanation ? h('span', { class: 'why' }, ` — ${stepsText(e.explanation.steps)}`) : null);
  }

  redraw() {
    fill(this.list, this.entries.filter((e) => this.shown.has(e.group)).reverse().map((e) => this.item(e)));
  }

  /** Marks the entry that stopped the clock. */
  mark(seq) {
    for (const li of this.list.querySelectorAll('li.hit')) li.classList.remove('hit');
    const li = this.list.querySelector(`li[data-seq="${seq}"]`);
    li?.classList.add('hit');
  }
}
