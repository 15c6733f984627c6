// "Model serving": what the core reports of a model-server fleet (instances.model llm), shown
// only for one. Each replica's batch (running sequences of its max_batch slots) and KV-cache
// fill as bars, its waiting requests and the saturation detector's value; the pool's
// saturation with the detector's thresholds; TTFT and TPOT so far; and "why this replica?":
// every endpoint's numbers behind the last pick, with the rule that decided. Every number
// comes from the core (sim.serving(), sim.last_pick()); this file only words and draws them.
import { h, fill, text } from './dom.js';
import { t, fmt, nameOf } from './i18n.js';

/** Replicas listed one by one (a larger fleet shows the first ones and says how many more). */
const ROWS = 16;

export class ServingPanel {
  constructor() {
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
    this.why = h('div', { class: 'sv-why' });
    this.el = h('section', { class: 'model-serving', id: 'model-serving', 'data-show': 'model-serving', 'aria-labelledby': 'h-model-serving', hidden: true },
      h('h3', { id: 'h-model-serving' }, t('serving.title')),
      this.intro,
      this.readouts,
      this.pool,
      this.lat,
      h('div', { class: 'sv-scroll' },
        h('table', { class: 'sv-table' },
          h('caption', { class: 'vh' }, t('serving.table_caption')),
          h('thead', null, h('tr', null,
            ['replica', 'batch', 'kv', 'waiting', 'saturation', 'tokens'].map((k) => h('th', { scope: 'col' }, t(`serving.col.${k}`))))),
          this.body)),
      this.more,
      h('h4', null, t('serving.why_title')),
      this.why);
  }

  /** Reads the core's serving readout, explanation and last pick; hidden for a web fleet. */
  update(sim, ex) {
    const s = sim.serving();
    this.el.hidden = !s;
    if (!s) return;
    text(this.outs.sat, fmt.num(s.pool_saturation));
    text(this.outs.hit, fmt.pct(ex?.serving?.prefix_hit_fraction));
    text(this.outs.ttft, fmt.ms(s.ttft_s.mean));
    const thresholds = { q: fmt.int(s.queue_depth_threshold), kv: fmt.pct(s.kv_cache_util_threshold) };
    text(this.intro, t('serving.intro', thresholds));
    text(this.pool, t(s.saturated ? 'serving.pool_saturated' : 'serving.pool', {
      x: fmt.num(s.pool_saturation), ...thresholds,
    }));
    this.el.dataset.saturated = String(s.saturated);
    text(this.lat, t('serving.latency', {
      ttft50: fmt.ms(s.ttft_s.p50), ttft99: fmt.ms(s.ttft_s.p99), tpot50: fmt.ms(s.tpot_s.p50), tpot99: fmt.ms(s.tpot_s.p99),
    }));
    const rows = s.replicas.slice(0, ROWS).map((r) => h('tr', { 'data-instance': r.instance, class: r.saturated ? 'sat' : null },
      h('th', { scope: 'row' }, `#${r.instance}`, r.lifecycle !== 'ready' ? h('span', { class: 'sv-life' }, ` ${t(`serving.life.${r.lifecycle}`)}`) : null),
      h('td', null, bar(r.running / Math.max(1, r.max_batch), 'batch'), ` ${fmt.int(r.running)}/${fmt.int(r.max_batch)}`),
      h('td', null, bar(r.kv_use, r.kv_full ? 'kv full' : 'kv'), ` ${fmt.pct(r.kv_use)}`),
      h('td', null, fmt.int(r.waiting), r.kv_full ? h('span', { class: 'sv-flag' }, ` ${t('serving.kv_full')}`) : null),
      h('td', null, fmt.num(r.saturation)),
      h('td', null, fmt.int(r.output_tokens_per_s))));
    fill(this.body, rows);
    this.more.hidden = s.replicas.length <= ROWS;
    if (!this.more.hidden) text(this.more, t('serving.more', { n: fmt.int(s.replicas.length - ROWS) }));
    this.renderWhy(sim.last_pick());
  }

  renderWhy(p) {
    if (!p) { fill(this.why, h('p', { class: 'help' }, t('serving.why_none'))); return; }
    const picker = p.endpoints.some((e) => e.total != null);
    const tree = p.endpoints.some((e) => e.tree_chars != null);
    const cols = ['replica', 'waiting', 'kv'];
    if (picker) cols.push('queue_score', 'kv_score', 'prefix_score', 'total');
    if (tree) cols.push('tree', 'holds');
    const cell = (e, c) => {
      switch (c) {
        case 'replica': return `#${e.instance}`;
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
    fill(this.why,
      h('p', null, t('serving.why_request', {
        n: fmt.int(p.request), t: fmt.s(p.t_s), balancer: nameOf('balancer.algorithm', p.balancer),
        prompt: fmt.int(p.prompt_tokens), winner: p.winner == null ? '—' : `#${p.winner}`,
      })),
      h('p', { class: 'sv-rule' }, ruleText(p)),
      h('div', { class: 'sv-scroll' }, h('table', { class: 'sv-table sv-scores' },
        h('caption', { class: 'vh' }, t('serving.why_caption')),
        h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, t(`serving.why.${c}`))))),
        h('tbody', null, p.endpoints.slice(0, ROWS).map((e) => h('tr', { class: e.instance === p.winner ? 'win' : null },
          cols.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, cell(e, c)) : h('td', null, cell(e, c))))))))));
  }
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
