// The arithmetic and the queueing theory beside the measurements. Everything here is computed
// by the Rust core (theory_readout); this module only words it.
import { ms, num, rps, int, pct } from './format.js';

const $ = (id) => document.getElementById(id);

export class TheoryPanel {
  constructor(theoryReadout) {
    this.theory = theoryReadout;
    this.el = {
      pil: $('out-pil'), need: $('out-need'), rho: $('out-rho'), explain: $('explain'),
      mm1: $('out-mm1'), mmc: $('out-mmc'), meas: $('out-meas'), since: $('meas-since'),
      overload: $('overload'), note: $('theory-note'),
      tput: $('out-tput'), lat: $('out-lat'), p99: $('out-p99'), drop: $('out-drop'), fail: $('out-fail'), inflight: $('out-inflight'),
    };
    this.baseline = null;
  }

  /** Settings changed: recompute the closed forms. */
  settings({ L, N, C, algorithm }) {
    const t = this.theory(L, N, C);
    this.t = t;
    this.s = { L, N, C, algorithm };
    const e = this.el;
    e.pil.textContent = rps(t.per_instance_load);
    e.need.textContent = int(t.instances_needed);
    e.rho.textContent = t.rho == null ? '—' : `${num(t.rho)} (${pct(t.rho)})`;
    e.rho.parentElement.classList.toggle('bad', t.rho != null && t.rho >= 1);

    const rho = t.rho;
    let text = `L / N = ${num(L)} / ${num(N)} = <b>${rps(t.per_instance_load)}</b> reach each instance if the balancer spreads evenly; ` +
      `ceil(L / C) = ceil(${num(L)} / ${num(C)}) = <b>${int(t.instances_needed)}</b> is the fewest instances whose capacity covers L. `;
    if (rho != null && Math.abs(rho - 1) < 1e-12) {
      text += `Here N is exactly that minimum, so ρ = 1: on average every instance is 100% busy, there is no slack to work off random bursts, and queues drift upward without bound. Try <button type="button" class="try" data-load="${Math.floor(0.9 * N * C)}">L = ${num(Math.floor(0.9 * N * C))}</button> (ρ = 0.9).`;
    } else if (rho != null && rho > 1) {
      text += `N is below that: the fleet cannot keep up.`;
    } else if (rho != null) {
      text += `Each instance is idle ${pct(1 - rho)} of the time on average: that slack absorbs bursts.`;
    }
    e.explain.innerHTML = text;

    if (rho != null && rho >= 1) {
      e.overload.hidden = false;
      e.overload.innerHTML = rho > 1
        ? `<strong>Overloaded: ρ = L/(N·C) = ${num(rho)} &gt; 1.</strong> Requests arrive at ${rps(L)} but the fleet can serve at most ${rps(N * C)}, so queues grow without bound (≈ ${rps(L - N * C)} more arrive than leave) until they hit the queue limit and requests are dropped. Add instances (at least ${int(t.instances_needed)}) or lower L.`
        : `<strong>Critically loaded: ρ = L/(N·C) = 1.</strong> Capacity exactly equals load, so there is no slack: queues have no steady state and grow without bound over time (slowly, as a random walk). Try L = ${num(Math.floor(0.9 * N * C))} or N = ${int(N + 1)}.`;
    } else {
      e.overload.hidden = true;
    }

    e.mm1.textContent = t.mm1_mean_s == null ? (rho != null && rho >= 1 ? '∞ (ρ ≥ 1)' : '—') : ms(t.mm1_mean_s);
    e.mmc.textContent = t.mmc_mean_s == null ? (rho != null && rho >= 1 ? '∞ (ρ ≥ 1)' : '—') : ms(t.mmc_mean_s);
    const a = algorithm;
    e.note.textContent =
      a === 'shared_queue' ? 'This balancer is one shared queue feeding all N instances, so M/M/c is the exact prediction.'
      : a === 'random' ? 'Random picks split a Poisson stream into independent Poisson streams, so each instance is exactly M/M/1.'
      : a === 'round_robin' || a === 'weighted_round_robin' ? 'Round robin spaces each instance’s arrivals more evenly than Poisson, so measured latency sits a little below M/M/1; the M/M/c line is the best any balancer could do.'
      : 'Load-aware balancers (least connections, power of two, peak EWMA) land between M/M/1 and the M/M/c ideal.';
  }

  /** A settings change resets the "measured since" window. */
  markChange(details) {
    this.baseline = details ? { t: details.now_s, n: details.requests.completed, mean: details.latency_s.mean ?? 0 } : null;
  }

  /** p99 of the last one-second sample. */
  lastP99(s) {
    this.el.p99.textContent = ms(s);
  }

  /** Live measurements from sim.details(). */
  measured(d) {
    const e = this.el;
    const r = d.requests;
    e.tput.textContent = rps(d.throughput_rps);
    e.drop.textContent = int(r.dropped);
    e.fail.textContent = int(r.failed);
    e.inflight.textContent = int(r.in_flight);
    // mean latency of requests completed since the last settings change
    const b = this.baseline ?? { t: 0, n: 0, mean: 0 };
    const dn = r.completed - b.n;
    if (dn > 0 && d.latency_s.mean != null) {
      const m = (d.latency_s.mean * r.completed - b.mean * b.n) / dn;
      e.meas.textContent = ms(m);
      e.lat.textContent = ms(m);
    } else e.meas.textContent = e.lat.textContent = '—';
    e.since.textContent = `since last change (${num(Math.max(0, d.now_s - b.t))} s, ${int(Math.max(0, dn))} req)`;
  }
}
