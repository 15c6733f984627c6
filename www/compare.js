// Side-by-side comparison of two balancers. It builds two extra Simulations from the current
// scenario (sim.scenario(): same N, L, C, seed, weights, faults; only the balancer differs) and
// runs them for a fixed simulated time, time-boxed per animation frame so the page stays live.
// Arrivals, request sizes and keys come from their own seeded stream, so both runs see the
// identical requests: any difference is the balancer's alone. The sims are freed afterwards.
import { Simulation } from './pkg/fleetlab.js';
import { ALGOS, HASH_ALGOS, label } from './balancer-info.js';
import { ms, int, pct, num } from './format.js';
import { utilColor } from './fleet-view.js';

const $ = (id) => document.getElementById(id);
const FRAME_MS = 12;
const METRICS = [['mean', 'mean'], ['p50', 'p50'], ['p95', 'p95'], ['p99', 'p99']];
const SVG = 'http://www.w3.org/2000/svg';

export class Compare {
  constructor({ getSim }) {
    this.getSim = getSim;
    this.selA = $('cmp-a');
    this.selB = $('cmp-b');
    this.selDur = $('cmp-dur');
    this.btn = $('cmp-run');
    this.progress = $('cmp-progress');
    this.status = $('cmp-status');
    this.err = $('cmp-err');
    this.results = $('cmp-results');
    this.job = null;
    for (const sel of [this.selA, this.selB]) {
      for (const [value, a] of Object.entries(ALGOS)) sel.add(new Option(a.label, value));
    }
    this.selA.value = 'round_robin';
    this.selB.value = 'least_connections';
    this.btn.addEventListener('click', () => (this.job ? this.cancel('Stopped.') : this.run()));
  }

  /** Scrolls to the section with A = the live algorithm and a contrasting B. */
  open(algorithm) {
    this.selA.value = algorithm;
    const kind = ALGOS[algorithm]?.kind;
    this.selB.value = kind === 'load' ? 'round_robin' : kind === 'ideal' ? 'least_connections' : kind === 'hash' ? 'power_of_two' : 'least_connections';
    $('compare').scrollIntoView({ behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth', block: 'start' });
    this.btn.focus({ preventScroll: true });
  }

  cancel(msg = '') {
    if (!this.job) return;
    this.job.cancelled = true;
    for (const s of this.job.sims) s.free();
    this.job = null;
    this.idle(msg);
  }

  idle(msg) {
    this.btn.textContent = 'Run comparison';
    this.btn.setAttribute('aria-pressed', 'false');
    this.progress.hidden = true;
    this.status.textContent = msg;
  }

  run() {
    const base = this.getSim().scenario();
    const dur = Number(this.selDur.value);
    const algos = [this.selA.value, this.selB.value];
    const needKeys = algos.some((a) => HASH_ALGOS.has(a)) && !(base.traffic.keys > 0);
    const sims = [];
    try {
      for (const algorithm of algos) {
        const sc = structuredClone(base);
        sc.duration_s = dur;
        if (needKeys) sc.traffic.keys = 1000; // both runs, so the request stream stays identical
        sc.balancer = { ...sc.balancer, algorithm };
        sims.push(new Simulation(sc));
      }
    } catch (e) {
      for (const s of sims) s.free();
      this.err.textContent = e.message;
      return;
    }
    this.err.textContent = '';
    const job = { sims, dur, algos, base, needKeys, cancelled: false, t0: performance.now() };
    this.job = job;
    this.btn.textContent = 'Stop';
    this.btn.setAttribute('aria-pressed', 'true');
    this.progress.hidden = false;
    this.progress.value = 0;
    this.status.textContent = `Simulating ${int(dur)} s twice…`;
    const step = () => {
      if (job.cancelled) return;
      const t0 = performance.now();
      while (performance.now() - t0 < FRAME_MS) {
        const s = sims.find((x) => x.now_s < dur - 1e-9);
        if (!s) break;
        s.advance_budget(dur - s.now_s, 40000);
      }
      const done = sims.reduce((acc, s) => acc + Math.min(dur, s.now_s), 0) / (2 * dur);
      this.progress.value = done;
      if (sims.every((s) => s.now_s >= dur - 1e-9)) this.finish(job);
      else requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  finish(job) {
    const summaries = job.sims.map((s) => s.summary());
    for (const s of job.sims) s.free();
    this.job = null;
    const took = (performance.now() - job.t0) / 1000;
    this.idle(`Done: 2 × ${int(job.dur)} simulated s in ${num(took)} s.`);
    this.render(job, summaries);
  }

  render(job, [sa, sb]) {
    this.results.hidden = false;
    const [a, b] = job.algos;
    this.column($('cmp-col-a'), 'A', a, sa);
    this.column($('cmp-col-b'), 'B', b, sb);
    this.bars(sa, sb, a, b);
    $('cmp-sentence').textContent = this.sentence(job, a, b, sa, sb);
  }

  column(el, tag, algo, s) {
    el.textContent = '';
    el.dataset.algorithm = algo;
    el.dataset.meanS = String(s.latency_s.mean);
    el.dataset.p99S = String(s.latency_s.p99);
    const h = document.createElement('h3');
    h.innerHTML = `<span class="cmp-tag cmp-${tag.toLowerCase()}">${tag}</span> `;
    h.append(label(algo));
    const t = document.createElement('table');
    t.className = 'cmp-table';
    t.setAttribute('aria-label', `${tag}: ${label(algo)} latency`);
    for (const [k, name] of [...METRICS, ['max', 'max']]) {
      const tr = t.insertRow();
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = name;
      tr.append(th);
      const td = tr.insertCell();
      td.textContent = ms(s.latency_s[k]);
      td.dataset.metric = k;
    }
    const r = s.requests;
    const counts = document.createElement('p');
    counts.className = 'cmp-counts';
    counts.textContent = `${int(r.completed)} completed · ${int(r.dropped)} dropped · ${int(r.failed)} failed`;
    if (r.dropped + r.failed > 0) counts.classList.add('bad');
    el.append(h, t, counts, this.instanceBars(s.per_instance, tag, algo));
  }

  /** Per-instance utilisation as small vertical bars (any N), with a marker for drops. */
  instanceBars(per, tag, algo) {
    const fig = document.createElement('figure');
    fig.className = 'cmp-inst';
    const cap = document.createElement('figcaption');
    cap.textContent = 'utilisation per instance';
    const n = per.length;
    const W = 300, H = 70, gap = n <= 40 ? 2 : 0;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${H + (n <= 20 ? 12 : 0)}`);
    svg.setAttribute('role', 'img');
    const utils = per.map((p) => p.utilization);
    const max = Math.max(...utils), min = Math.min(...utils);
    const busiest = per[utils.indexOf(max)], idlest = per[utils.indexOf(min)];
    svg.setAttribute('aria-label', `${tag} ${label(algo)}: utilisation of ${n} instances from ${pct(min)} (#${idlest?.id}) to ${pct(max)} (#${busiest?.id})`);
    const bw = W / Math.max(1, n);
    const grid = document.createElementNS(SVG, 'line');
    Object.entries({ x1: 0, x2: W, y1: 0.5, y2: 0.5, class: 'cmp-full' }).forEach(([k, v]) => grid.setAttribute(k, v));
    svg.append(grid);
    per.forEach((p, i) => {
      const u = Math.max(0, Math.min(1, p.utilization));
      const rect = document.createElementNS(SVG, 'rect');
      rect.setAttribute('x', i * bw + gap / 2);
      rect.setAttribute('width', Math.max(0.5, bw - gap));
      rect.setAttribute('y', H - u * H);
      rect.setAttribute('height', Math.max(0.5, u * H));
      rect.setAttribute('fill', utilColor(u));
      const title = document.createElementNS(SVG, 'title');
      title.textContent = `#${p.id}: ${pct(u)} busy, ${int(p.completed)} completed${p.dropped ? `, ${int(p.dropped)} dropped` : ''}`;
      rect.append(title);
      svg.append(rect);
      if (p.dropped > 0) {
        const m = document.createElementNS(SVG, 'rect');
        m.setAttribute('x', i * bw + gap / 2);
        m.setAttribute('width', Math.max(0.5, bw - gap));
        m.setAttribute('y', 0);
        m.setAttribute('height', 4);
        m.setAttribute('class', 'cmp-drop');
        svg.append(m);
      }
      if (n <= 20) {
        const tx = document.createElementNS(SVG, 'text');
        tx.setAttribute('x', i * bw + bw / 2);
        tx.setAttribute('y', H + 10);
        tx.setAttribute('text-anchor', 'middle');
        tx.textContent = `#${p.id}`;
        svg.append(tx);
      }
    });
    const note = document.createElement('p');
    note.className = 'cmp-counts';
    note.textContent = n ? `busiest #${busiest.id} ${pct(max)}, least busy #${idlest.id} ${pct(min)}` : '';
    fig.append(cap, svg, note);
    return fig;
  }

  bars(sa, sb, a, b) {
    const box = $('cmp-bars');
    box.textContent = '';
    for (const [k, name] of METRICS) {
      const va = sa.latency_s[k], vb = sb.latency_s[k];
      const top = Math.max(va, vb) || 1;
      const row = document.createElement('div');
      row.className = 'cmp-row';
      const lab = document.createElement('span');
      lab.className = 'cmp-metric';
      lab.textContent = name;
      row.append(lab);
      const pair = document.createElement('div');
      pair.className = 'cmp-pair';
      for (const [tag, v, algo] of [['a', va, a], ['b', vb, b]]) {
        const line = document.createElement('div');
        line.className = 'cmp-line';
        const bar = document.createElement('span');
        bar.className = `cmp-bar cmp-${tag}`;
        bar.style.width = `${Math.max(0.5, (v / top) * 100)}%`;
        const val = document.createElement('span');
        val.className = 'cmp-val';
        val.textContent = `${ms(v)}`;
        line.title = `${tag.toUpperCase()} ${label(algo)}: ${name} ${ms(v)}`;
        const track = document.createElement('span');
        track.className = 'cmp-track';
        track.append(bar);
        line.append(track, val);
        pair.append(line);
      }
      row.append(pair);
      box.append(row);
    }
  }

  sentence(job, a, b, sa, sb) {
    const ma = sa.latency_s.mean, mb = sb.latency_s.mean;
    const [win, lose, sw, sl] = ma <= mb ? [a, b, sa, sb] : [b, a, sb, sa];
    const ratio = sl.latency_s.mean / Math.max(1e-12, sw.latency_s.mean);
    const same = sa.requests.arrived === sb.requests.arrived;
    const head = same
      ? `Both runs received the same ${int(sa.requests.arrived)} requests at the same instants.`
      : `The runs received ${int(sa.requests.arrived)} and ${int(sb.requests.arrived)} requests (an autoscaler or fault made them diverge).`;
    if (a === b) return `${head} Same balancer twice: identical results, as a deterministic simulation should give.`;
    if (ratio < 1.05) {
      return `${head} ${label(win)} and ${label(lose)} are within 5% of each other here (mean ${ms(sw.latency_s.mean)} vs ${ms(sl.latency_s.mean)}): at utilisation ρ = ${num(job.base.traffic.rate_rps / (job.base.instances.count * job.base.instances.capacity_rps))} queues rarely build. Raise L towards N·C (ρ ≈ 0.9) to separate them.`;
    }
    const why = reason(win, lose, sl, job.base);
    return `${head} ${cap(label(win))} wins: mean latency ${ms(sw.latency_s.mean)} vs ${ms(sl.latency_s.mean)} (${ratio >= 10 ? int(ratio) : num(Math.round(ratio * 10) / 10)}× lower), p99 ${ms(sw.latency_s.p99)} vs ${ms(sl.latency_s.p99)}. ${why}`;
  }
}

function reason(win, lose, sLose, base) {
  const kw = ALGOS[win]?.kind, kl = ALGOS[lose]?.kind;
  if (kl === 'load' && base.balancer.load_delay_s > 0 && lose !== 'peak_ewma') return `${cap(label(lose))} reads queue lengths up to ${num(base.balancer.load_delay_s)} s old, so it herds: every request in that window goes to the instance that only looked idle.`;
  const u = sLose.per_instance.map((p) => p.utilization);
  const spread = u.length ? Math.max(...u) - Math.min(...u) : 0;
  if (kw === 'ideal') return `The shared queue is the M/M/c bound: no request ever waits while an instance is idle. ${cap(label(lose))} is ${kl === 'load' ? 'close to it, but still commits each request to one queue on arrival' : 'far from it: it commits each request to one queue without looking'}.`;
  if (kw === 'hash' && kl === 'hash') return `Both pin every key to one instance, so load follows key ownership: the instance that owns the most (or the hottest) keys saturates first${spread > 0.05 ? ` (utilisation spread ${pct(spread)} here)` : ''}. Which hash wins depends on where the keys land, not on latency-awareness.`;
  if (kl === 'hash') return `${cap(label(lose))} pins every key to one instance, so uneven key shares${spread > 0.05 ? ` (utilisation spread ${pct(spread)} here)` : ''} and hot keys become uneven load; it buys cache locality, not latency.`;
  if (kw === 'load' && (kl === 'oblivious')) return `${cap(label(win))} looks at how many requests each instance holds; ${label(lose)} does not, so it sends requests behind a queue while another instance sits idle.`;
  if (kw === 'load' && kl === 'load') {
    if (win === 'least_connections') return `A full scan finds the shortest queue every time; ${label(lose)} only compares a random sample${lose === 'peak_ewma' ? ' and weighs latency history' : ''}.`;
    return `${cap(label(win))} handles this scenario's conditions (stale load reports, slow instances) better than ${label(lose)}.`;
  }
  if (kw === 'oblivious' && kl === 'oblivious') return `Neither looks at load; ${label(win)} spreads arrivals more evenly in time (round robin turns a Poisson stream into regular arrivals per instance, random keeps it bursty).`;
  return '';
}

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
