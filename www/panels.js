import { logText } from './log-text.js';
// Small panels: the tab strip (keyboard: arrows move between tabs) and the event log.

export function setupTabs(list) {
  const tabs = [...list.querySelectorAll('[role=tab]')];
  const show = (tab, focus) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) tab.focus();
  };
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => show(t, false));
    t.addEventListener('keydown', (e) => {
      const d = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (d) { e.preventDefault(); show(tabs[(i + d + tabs.length) % tabs.length], true); }
    });
  });
}

const MAX_ITEMS = 300;

/** The log filter's classes (registry-panel.js shows a checkbox per class) for each group. */
const FILTER_CLASS = { registry: 'registry', fault: 'faults', health: 'health', scaling: 'scaling', traffic: 'scaling' };

export class EventLog {
  constructor(ol) {
    this.ol = ol;
    this.reset();
  }

  reset() {
    this.next = 0;
    this.ol.textContent = '';
  }

  /** Newest first: each entry is "time · #instance · kind · text"; its group (li.g-…) lets CSS filter it. */
  append(entries) {
    if (!entries?.length) return;
    const frag = document.createDocumentFragment();
    for (const e of entries) {
      const li = document.createElement('li');
      li.className = `k-${e.kind} g-${FILTER_CLASS[e.group] ?? 'other'}`;
      const t = document.createElement('span');
      t.className = 't';
      t.textContent = `${e.t_s.toFixed(2)} s`;
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = e.instance == null ? '' : `#${e.instance}`;
      const kind = document.createElement('span');
      kind.className = 'kind';
      kind.textContent = e.kind;
      const text = document.createElement('span');
      text.className = 'txt';
      text.textContent = logText(e);
      li.append(t, ' ', who, ' ', kind, ' ', text);
      frag.prepend(li);
      this.next = e.seq + 1;
    }
    this.ol.prepend(frag);
    while (this.ol.childElementCount > MAX_ITEMS) this.ol.lastElementChild.remove();
  }
}
