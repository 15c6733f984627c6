// "Model serving": what the core reports of a model-server fleet (instances.model llm), shown
// only for one. Each replica's batch (running sequences of its max_batch slots) and KV-cache
// fill as bars, its waiting requests and the saturation detector's value; the pool's
// saturation with the detector's thresholds; TTFT and TPOT so far; the selected replica's KV
// use, batch and waiting over time (sim.replica_history); and "why this replica?" as
// kube-scheduler-simulator shows a pod's filter and score results: the recent picks the core
// keeps (sim.pick_list, in brief), one chosen by click or keyboard (or the latest, followed until the
// user chooses), and that pick's numbers per replica with the rule that decided. Every number
// comes from the core; this file only words and draws them.
import { h, fill, text } from './dom.js';
import { t, fmt, nameOf } from './i18n.js';
import { ReplicaChart } from './charts.js';

/** Replicas listed one by one (a larger fleet shows the first ones and says how many more). */
const ROWS = 16;

export class ServingPanel {
  /**
   * @param {object} [o]
   * @param {(id: number|null) => void} [o.select]  selects a replica (the page's selection)
   * @param {() => number|null} [o.selected]  the selected instance
   */
  constructor(o = {}) {
    this.o = o;
    this.chosen = null; // a request number the user chose; null: follow the latest pick
    this.listKey = null;
    this.whyKey = null;
    this.histKey = null;
    this.intro = h('p', { class: 'help' });
    // readouts a lesson can point at (data-value: the core's path of the number shown)
    const ro = (key, path) => {
      const out = h('output');
      return [h('div', { class: 'ro', 'data-value': path }, h('span', { class: 'ro-label' }, t(key)), out), out];
    };
    const [roSat, outSat] = ro('serving.ro.saturation', 'explain.serving.pool_saturation');
    const [roHit, outHit] = ro('serving.ro.prefix_hit', 'explain.serving.prefix_hit_fraction');
    const [roTtft, outTtft] = ro('serving.ro.ttft_mean', 'summary.ttft_s.mean');
    this.outs = { sat: outSat, hit: outHit, ttft: outTtft };
    this.readouts = h('div', { class: 'sv-readouts' }, roSat, roHit, roTtft);
    this.pool = h('p', { class: 'sv-pool', role: 'status' });
    this.lat = h('p', { class: 'sv-lat' });
    this.body = h('tbody');
    this.more = h('p', { class: 'help', hidden: true });
    // the selected replica over time
    this.histTitle = h('h4', { id: 'h-sv-history' });
    this.histNote = h('p', { class: 'help sv-hist-note' });
    this.chart = new ReplicaChart();
    this.hist = h('figure', { class: 'chart-card sv-history', id: 'sv-history', 'aria-labelledby': 'h-sv-history' },
      this.chart.holder, h('figcaption', { class: 'chart-note' }, t('serving.history_note')));
    // why this replica: the kept picks, and the chosen one's numbers
    this.follow = h('button', { type: 'button', class: 'small sv-follow', 'aria-pressed': 'true', onclick: () => this.choose(null, true) }, t('serving.picks_follow'));
    this.list = h('ul', { class: 'sv-pick-list', 'aria-labelledby': 'h-sv-picks', onkeydown: (e) => this.listKeys(e) });
    this.choice = h('p', { class: 'sv-choice', role: 'status' });
    this.why = h('div', { class: 'sv-why', id: 'sv-why' });
    this.el = h('section', { class: 'model-serving', id: 'model-serving', 'data-show': 'model-serving', 'aria-labelledby': 'h-model-serving', hidden: true },
      h('h3', { id: 'h-model-serving' }, t('serving.title')),
      this.intro,
      this.readouts,
      this.pool,
      this.lat,
      // a region that scrolls sideways on a phone: focusable, so keyboards can scroll it too
      h('div', { class: 'sv-scroll', tabindex: 0, role: 'region', 'aria-label': t('serving.table_caption') },
        h('table', { class: 'sv-table' },
          h('caption', { class: 'vh' }, t('serving.table_caption')),
          h('thead', null, h('tr', null,
            ['replica', 'batch', 'kv', 'waiting', 'saturation', 'tokens'].map((k) => h('th', { scope: 'col' }, t(`serving.col.${k}`))))),
          this.body)),
      this.more,
      this.histTitle,
      this.histNote,
      this.hist,
      h('h4', null, t('serving.why_title')),
      h('div', { class: 'sv-picks', 'data-show': 'serving-picks' },
        h('div', { class: 'sv-picks-head' }, h('span', { id: 'h-sv-picks', class: 'sv-picks-title' }, t('serving.picks_title')), this.follow),
        h('p', { class: 'help' }, t('serving.picks_help')),
        this.list),
      this.choice,
      this.why);
  }

  /** A new run: follow its latest pick again. */
  reset() {
    this.chosen = null;
    this.listKey = null;
    this.itemsKey = null;
    this.whyKey = null;
    this.histKey = null;
    this.chart.clear();
  }

  /** Why no time is shown yet: nothing finished its first token, or the warm-up is on. */
  notYet(sim) {
    const w = sim.scenario().warmup_s;
    return w > 0 ? t('serving.latency_none', { w: fmt.s(w) }) : t('serving.latency_none_yet');
  }

  /** Reads the core's serving readout, explanation and picks; hidden for a web fleet. */
  update(sim, ex) {
    this.sim = sim;
    const s = sim.serving();
    this.el.hidden = !s;
    if (!s) return;
    text(this.outs.sat, fmt.num(s.pool_saturation));
    text(this.outs.hit, fmt.pct(ex?.serving?.prefix_hit_fraction));
    // before any first token is measured (the warm-up) the core's figures are zeros: say so
    const measured = s.ttft_measured > 0;
    text(this.outs.ttft, measured ? fmt.ms(s.ttft_s.mean) : '—');
    const thresholds = { q: fmt.int(s.queue_depth_threshold), kv: fmt.pct(s.kv_cache_util_threshold) };
    text(this.intro, t('serving.intro', thresholds));
    text(this.pool, t(s.saturated ? 'serving.pool_saturated' : 'serving.pool', {
      x: fmt.num(s.pool_saturation), ...thresholds,
    }));
    this.el.dataset.saturated = String(s.saturated);
    text(this.lat, measured ? t('serving.latency', {
      ttft50: fmt.ms(s.ttft_s.p50), ttft99: fmt.ms(s.ttft_s.p99), tpot50: fmt.ms(s.tpot_s.p50), tpot99: fmt.ms(s.tpot_s.p99),
    }) : this.notYet(sim));
    const selected = this.o.selected?.() ?? null;
    const rows = s.replicas.slice(0, ROWS).map((r) => h('tr', { 'data-instance': r.instance, class: [r.saturated ? 'sat' : '', r.instance === selected ? 'sel' : ''].join(' ').trim() || null },
      h('th', { scope: 'row' },
        h('button', { type: 'button', class: 'sv-pick-replica', 'data-instance': r.instance, 'aria-pressed': String(r.instance === selected), 'aria-label': t('serving.select_replica', { id: r.instance }), ...press(() => this.o.select?.(r.instance), () => this.body.querySelector(`button[data-instance="${r.instance}"]`)) }, `#${r.instance}`),
        r.lifecycle !== 'ready' ? h('span', { class: 'sv-life' }, ` ${t(`serving.life.${r.lifecycle}`)}`) : null),
      h('td', null, bar(r.running / Math.max(1, r.max_batch), 'batch'), ` ${fmt.int(r.running)}/${fmt.int(r.max_batch)}`),
      h('td', null, bar(r.kv_use, r.kv_full ? 'kv full' : 'kv'), ` ${fmt.pct(r.kv_use)}`),
      h('td', null, fmt.int(r.waiting), r.kv_full ? h('span', { class: 'sv-flag' }, ` ${t('serving.kv_full')}`) : null),
      h('td', null, fmt.num(r.saturation)),
      h('td', null, fmt.int(r.output_tokens_per_s))));
    keepFocus(this.body, () => fill(this.body, rows));
    this.more.hidden = s.replicas.length <= ROWS;
    if (!this.more.hidden) text(this.more, t('serving.more', { n: fmt.int(s.replicas.length - ROWS) }));
    this.renderHistory(sim, selected);
    this.renderPicks(sim);
  }

  /** The selected replica's KV use, batch and waiting over its kept samples (the core's). */
  renderHistory(sim, id) {
    const hist = id == null ? null : sim.replica_history(id);
    this.hist.hidden = !hist;
    text(this.histTitle, id == null || !hist ? t('serving.history_title_none') : t('serving.history_title', { id }));
    text(this.histNote, id == null ? t('serving.history_select') : !hist ? t('serving.history_none', { id })
      : t('serving.history_help', { n: fmt.int(hist.t_s.length) }));
    if (!hist) { this.histKey = null; return; }
    const n = hist.t_s.length;
    const key = `${id}:${n}:${n ? hist.t_s[n - 1] : ''}`;
    if (key === this.histKey && this.chart.plot) return;
    this.histKey = key;
    this.chart.update(hist);
  }

  /** The kept picks as a list to choose from, and the chosen (or latest) pick's numbers. */
  renderPicks(sim) {
    // the kept picks in brief (one per request), newest first; the one shown in full
    const list = (sim.pick_list() ?? []).reverse();
    const latest = list[0] ?? null;
    const shown = this.chosen == null ? (latest && sim.pick_scores(latest.request)) : sim.pick_scores(this.chosen);
    const items = JSON.stringify(list.map((p) => [p.request, p.t_s, p.winner]));
    const key = JSON.stringify([items, shown?.request ?? null, this.chosen]);
    if (key === this.listKey) return; // nothing new (a paused run's list never changes)
    this.listKey = key;
    this.follow.setAttribute('aria-pressed', String(this.chosen == null));
    this.follow.disabled = this.chosen == null;
    // the buttons are rebuilt only when the picks kept change; a choice only moves aria-pressed
    if (items !== this.itemsKey) {
      this.itemsKey = items;
      keepFocus(this.list, () => fill(this.list, list.map((p) => h('li', null,
        h('button', {
          type: 'button', class: 'sv-pick', 'data-request': p.request, 'aria-controls': 'sv-why',
          ...press(() => this.choose(p.request, false), () => this.list.querySelector(`button[data-request="${p.request}"]`)),
        }, h('span', { class: 'sv-pick-n' }, t('serving.pick_n', { n: fmt.int(p.request) })),
        h('span', { class: 'sv-pick-t' }, fmt.s(p.t_s)),
        h('span', { class: 'sv-pick-w' }, p.winner == null ? t('serving.pick_none') : `→ #${p.winner}`))))));
    }
    for (const b of this.list.querySelectorAll('button.sv-pick')) b.setAttribute('aria-pressed', String(Number(b.dataset.request) === shown?.request));
    if (!list.length) text(this.choice, '');
    else if (this.chosen == null) text(this.choice, t('serving.picks_following'));
    else if (shown) text(this.choice, t('serving.picks_chosen', { n: fmt.int(this.chosen), latest: fmt.int(latest.request) }));
    else if (this.chosen > latest.request) text(this.choice, t('serving.picks_not_yet', { n: fmt.int(this.chosen), t: fmt.s(sim.now_s) }));
    else text(this.choice, t('serving.picks_gone', { n: fmt.int(this.chosen), kept: fmt.int(list.length), oldest: fmt.int(list[list.length - 1].request) }));
    this.el.dataset.following = String(this.chosen == null);
    this.renderWhy(shown, this.chosen != null);
  }

  /** Chooses request `n` (null: follow the latest again); redraws now. */
  choose(n, focusList) {
    this.chosen = n;
    this.listKey = null;
    if (this.sim) this.renderPicks(this.sim);
    if (focusList) (this.list.querySelector('[aria-pressed="true"]') ?? this.follow).focus();
  }

  /** Arrow keys, Home and End move between the picks and choose; Escape follows the latest. */
  listKeys(e) {
    const buttons = [...this.list.querySelectorAll('button.sv-pick')];
    const i = buttons.indexOf(document.activeElement);
    if (e.key === 'Escape') { e.preventDefault(); this.choose(null, true); return; }
    const d = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
    let j = null;
    if (d != null) j = Math.max(0, Math.min(buttons.length - 1, (i < 0 ? 0 : i + d)));
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = buttons.length - 1;
    if (j == null || !buttons[j]) return;
    e.preventDefault();
    const n = Number(buttons[j].dataset.request);
    this.choose(n, false);
    this.list.querySelector(`button[data-request="${n}"]`)?.focus();
  }

  renderWhy(p, chosen) {
    if (!p) {
      fill(this.why, this.chosen == null ? h('p', { class: 'help' }, t('serving.why_none')) : null);
      return;
    }
    const picker = p.endpoints.some((e) => e.total != null);
    const tree = p.endpoints.some((e) => e.tree_chars != null);
    const cols = ['replica', 'waiting', 'kv'];
    if (picker) cols.push('queue_score', 'kv_score', 'prefix_score', 'total');
    if (tree) cols.push('tree', 'holds');
    const cell = (e, c) => {
      switch (c) {
        case 'replica': return e.instance === p.winner ? [`#${e.instance} `, h('span', { class: 'sv-winner' }, t('serving.why_winner'))] : `#${e.instance}`;
        case 'waiting': return fmt.int(e.waiting);
        case 'kv': return fmt.pct(e.kv_use);
        case 'queue_score': return fmt.num(e.queue_score);
        case 'kv_score': return fmt.num(e.kv_score);
        case 'prefix_score': return e.prefix_blocks_total ? `${fmt.num(e.prefix_score)} (${fmt.int(e.prefix_blocks_matched)}/${fmt.int(e.prefix_blocks_total)})` : fmt.num(e.prefix_score);
        case 'total': return fmt.num(e.total);
        case 'tree': return fmt.int(e.tree_chars);
        case 'holds': return e.holds_prefix ? t('serving.yes') : t('serving.no');
        default: return '';
      }
    };
    // the core's order; a long list is cut after ROWS, but never loses the winner
    const rows = p.endpoints.slice(0, ROWS);
    const win = p.endpoints.find((e) => e.instance === p.winner);
    if (win && !rows.includes(win)) rows.push(win);
    fill(this.why,
      h('p', null, t('serving.why_request', {
        n: fmt.int(p.request), t: fmt.s(p.t_s), balancer: nameOf('balancer.algorithm', p.balancer),
        prompt: fmt.int(p.prompt_tokens), winner: p.winner == null ? '—' : `#${p.winner}`,
      })),
      h('p', { class: 'sv-rule' }, ruleText(p)),
      h('div', { class: 'sv-scroll', tabindex: 0, role: 'region', 'aria-label': t(chosen ? 'serving.why_caption_n' : 'serving.why_caption', { n: fmt.int(p.request) }) }, h('table', { class: 'sv-table sv-scores', 'data-request': p.request },
        h('caption', { class: 'vh' }, t(chosen ? 'serving.why_caption_n' : 'serving.why_caption', { n: fmt.int(p.request) })),
        h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, t(`serving.why.${c}`))))),
        h('tbody', null, rows.map((e) => h('tr', { class: e.instance === p.winner ? 'win' : null, 'data-instance': e.instance },
          cols.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, cell(e, c)) : h('td', null, cell(e, c))))))))),
      p.endpoints.length > rows.length ? h('p', { class: 'help' }, t('serving.more', { n: fmt.int(p.endpoints.length - rows.length) })) : null);
  }
}

/**
 * Activation for buttons in lists the page redraws while the run goes on: a mouse press acts at
 * once (a redraw between press and release would otherwise swallow the click) and focuses the
 * button that stands for the same thing after the redraw (`again()`); keyboard and touch act
 * on click, as usual (a touch may be the start of a scroll).
 */
function press(fn, again) {
  let pressed = false;
  return {
    onpointerdown: (e) => {
      pressed = e.pointerType === 'mouse' && e.button === 0;
      if (!pressed) return;
      e.preventDefault(); // no mouse-down focus on a button the redraw may have removed
      fn();
      again()?.focus({ preventScroll: true });
    },
    // a keyboard click (detail 0) always acts: a mouse press released off the button must not
    // swallow the next Enter or Space
    onclick: (e) => { if (!pressed || e.detail === 0) fn(); pressed = false; },
  };
}

/** Runs `f`, which refills `box`, and gives focus back to the button it had (same data-*). */
function keepFocus(box, f) {
  const a = document.activeElement;
  const had = a && box.contains(a) ? a : null;
  const sel = had && (had.dataset.request != null ? `button[data-request="${had.dataset.request}"]`
    : had.dataset.instance != null ? `button[data-instance="${had.dataset.instance}"]` : null);
  f();
  if (sel) box.querySelector(sel)?.focus({ preventScroll: true });
}

/** The rule that decided, worded from the core's numbers. */
function ruleText(p) {
  switch (p.rule) {
    case 'highest_score': return p.tied > 1 ? t('serving.rule.highest_score_tied', { best: fmt.num(p.best), tied: fmt.int(p.tied) })
      : t('serving.rule.highest_score', { best: fmt.num(p.best) });
    case 'imbalanced': return t('serving.rule.imbalanced', { max: fmt.int(p.max_load), min: fmt.int(p.min_load), abs: fmt.int(p.abs_threshold), rel: fmt.num(p.rel_threshold) });
    case 'cache_hit': return t('serving.rule.cache_hit', { rate: fmt.pct(p.match_rate), threshold: fmt.pct(p.cache_threshold), holders: fmt.int(p.holders) });
    case 'smallest_tree': return t('serving.rule.smallest_tree', { rate: fmt.pct(p.match_rate), threshold: fmt.pct(p.cache_threshold) });
    default: return t('serving.rule.other', { balancer: nameOf('balancer.algorithm', p.balancer) });
  }
}

/** A small horizontal bar for a fraction 0..1. */
function bar(frac, kind) {
  const f = Math.max(0, Math.min(1, Number.isFinite(frac) ? frac : 0));
  return h('span', { class: `sv-bar ${kind}`, 'aria-hidden': 'true' }, h('span', { style: { width: `${(f * 100).toFixed(1)}%` } }));
}
