// Runs several simulations of the same requests side by side, for the comparison of balancers
// and the race of autoscalers: a few milliseconds of work per frame so the page stays live,
// one progress bar for all of them, and a run button that becomes "Stop" while they run. The
// views own what the runs mean; this module owns only the loop and its three controls.
import { h, text } from './dom.js';
import { t } from './i18n.js';

/** Wall-clock budget per frame, in milliseconds: the page keeps drawing between steps. */
const FRAME_MS = 12;
/** Events per call into the core, so one call cannot overrun the frame by much. */
const EVENTS_PER_CALL = 40000;

/**
 * Shows or hides a result's "stale" note: `stale` when the run on screen (or the choice) no
 * longer matches what the result was run on. Touches the DOM only when that changes.
 */
export function showStale(results, note, stale) {
  if (!note || String(stale) === results.dataset.stale) return;
  results.dataset.stale = String(stale);
  note.hidden = !stale;
}

export class SideBySide {
  /**
   * @param {object} o
   * @param {string} o.id             the run button's id
   * @param {string} o.runLabel       its label while nothing runs
   * @param {string} o.progressLabel  the progress bar's accessible name
   * @param {() => void} o.onRun      the button was pressed while nothing runs
   */
  constructor(o) {
    this.o = o;
    this.job = null;
    this.btn = h('button', { type: 'button', class: 'primary', id: o.id, onclick: () => (this.job ? this.cancel(t('cmp.stopped')) : o.onRun()) }, o.runLabel);
    this.progress = h('progress', { max: 1, value: 0, 'aria-label': o.progressLabel, hidden: true });
    this.status = h('span', { class: 'cmp-status', role: 'status' });
  }

  /**
   * Advances `sims` to `dur` simulated seconds, the first unfinished one first.
   * @param {any[]} sims              simulations (freed here when done or cancelled)
   * @param {number} dur
   * @param {object} o
   * @param {string} o.running        the status while they run
   * @param {number} [o.chunkS]       at most this many simulated seconds per call
   * @param {(i: number) => void} [o.advanced]  after each call on sims[i]
   * @param {(summaries: object[], tookS: number) => string} o.done  the status once done
   */
  start(sims, dur, { running, chunkS = Infinity, advanced = () => {}, done }) {
    const job = { sims, cancelled: false, t0: performance.now() };
    this.job = job;
    text(this.btn, t('cmp.stop'));
    this.progress.hidden = false;
    this.progress.value = 0;
    text(this.status, running);
    const step = () => {
      if (job.cancelled) return;
      const t0 = performance.now();
      while (performance.now() - t0 < FRAME_MS) {
        const i = sims.findIndex((x) => x.now_s < dur - 1e-9);
        if (i < 0) break;
        sims[i].advance_budget(Math.min(dur - sims[i].now_s, chunkS), EVENTS_PER_CALL);
        advanced(i);
      }
      this.progress.value = sims.reduce((acc, s) => acc + Math.min(dur, s.now_s), 0) / (sims.length * dur);
      if (sims.every((s) => s.now_s >= dur - 1e-9)) this.finish(job, done);
      else requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  finish(job, done) {
    const summaries = job.sims.map((s) => s.summary());
    for (const s of job.sims) s.free();
    this.job = null;
    this.idle(done(summaries, (performance.now() - job.t0) / 1000));
  }

  cancel(msg = '') {
    if (!this.job) return;
    this.job.cancelled = true;
    for (const s of this.job.sims) s.free();
    this.job = null;
    this.idle(msg);
  }

  /** Cancels any run and empties the status. */
  clear() {
    this.cancel();
    text(this.status, '');
  }

  idle(msg) {
    text(this.btn, this.o.runLabel);
    this.progress.hidden = true;
    text(this.status, msg);
  }
}
