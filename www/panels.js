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

/** Event kinds by the log filter's groups (registry-panel.js shows a checkbox per group). */
export const KIND_GROUP = {
  registered: 'registry', missed: 'registry', evicted: 'registry', preserved: 'registry', heartbeat: 'registry',
  ejected: 'health', unejected: 'health', healthy: 'health', unhealthy: 'health',
  crash: 'faults', slow: 'faults', partition: 'faults', recover: 'faults', fault: 'faults',
  draining: 'scaling', stopped: 'scaling', scale: 'scaling', autoscaler: 'scaling', traffic: 'scaling', rebalance: 'scaling',
};

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
      li.className = `k-${e.kind} g-${KIND_GROUP[e.kind] ?? 'other'}`;
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
      text.textContent = e.text;
      li.append(t, ' ', who, ' ', kind, ' ', text);
      frag.prepend(li);
      this.next = e.seq + 1;
    }
    this.ol.prepend(frag);
    while (this.ol.childElementCount > MAX_ITEMS) this.ol.lastElementChild.remove();
  }
}
