// The lesson player. Lessons are data (www/lessons/index.json lists the files; the format is
// notes/lessons-format.md): each step starts from its own scenario (or continues the previous
// step's run), asks the learner to predict with a question and choices, then runs to its
// moment — an absolute time (`until_s`) or the first event of a kind (`until`, a breakpoint) —
// pauses there, points at what to look at and explains, with {placeholders} filled from the
// paused simulation (t, summary, details, explain, event, scenario). Unknown view names are
// ignored and missing values show as "—", so a lesson file never breaks the page.
import { h, fill } from './dom.js';
import { t, fmt, lang } from './i18n.js';
import { fleetlab } from './core.js';

/** A lesson text ({en, "zh-CN"}) in the page's language. */
export const words = (o) => (o == null ? '' : typeof o === 'string' ? o : o[lang] ?? o.en ?? '');

/** The value at a dotted path (`summary.requests.failed`, `event.instance`). */
function at(root, path) {
  let node = root;
  for (const part of path.split('.')) {
    if (node == null) return undefined;
    node = node[part];
  }
  return node;
}

/** A lesson number in a format (notes/lessons-format.md): num, int, pct, ms, s. */
function formatted(v, f) {
  const l = lang;
  const nf = (o) => new Intl.NumberFormat(l, o).format;
  switch (f) {
    case 'int': return fmt.int(Math.round(v));
    case 'pct': return nf({ style: 'percent', maximumFractionDigits: 1 })(v);
    case 'ms': return t('unit.ms', { x: nf({ maximumFractionDigits: 1 })(v * 1000) });
    case 's': return t('unit.s', { x: nf({ maximumFractionDigits: 1 })(v) });
    default: return Number.isInteger(v) ? fmt.int(v) : nf({ maximumSignificantDigits: 3 })(v);
  }
}

/** Fills `{path}` and `{path|fmt}` placeholders from `ctx`. */
export function fillPlaceholders(s, ctx) {
  return s.replace(/\{([a-zA-Z_][\w.]*)(?:\|(\w+))?\}/g, (m, path, f) => {
    const v = at(ctx, path);
    if (v == null) return '—';
    return typeof v === 'number' ? formatted(v, f) : String(v);
  });
}

/** A step's named closed forms (`theory`): the core's readout or moved fractions, arguments as numbers or paths. */
export function evalTheory(spec, ctx) {
  const out = {};
  for (const [name, form] of Object.entries(spec ?? {})) {
    const [[fn, args] = []] = Object.entries(form ?? {});
    const vals = (args ?? []).map((a) => (typeof a === 'number' ? a : at(ctx, String(a))));
    if (vals.some((v) => typeof v !== 'number')) continue;
    if (fn === 'readout' && vals.length === 3) out[name] = fleetlab.theory_readout(...vals);
    if (fn === 'moved_fractions' && vals.length === 2) out[name] = fleetlab.moved_fractions(...vals);
  }
  return out;
}

/** What the simulation reads like now: `t`, `summary`, `details`, `explain`. */
function reading(sim) {
  return { t: sim.now_s, summary: sim.summary(), details: sim.details(), explain: sim.explain() };
}

/** The most recent log entry of each kind. */
function lastOfEach(sim) {
  const last = {};
  for (const e of sim.log_since(0)) last[e.kind] = e;
  return last;
}

export class LessonPlayer {
  /**
   * @param {object} app  the page (see main.js: load, applyView, pause, runTo, jump, sim, …)
   */
  constructor(app) {
    this.app = app;
    this.index = null; // [{file, id, title, goal}]
    this.lesson = null;
    this.file = null;
    this.stepNo = 0;
    this.state = 'idle'; // ask | running | paused
    this.el = h('section', { class: 'card lesson', id: 'lesson', 'aria-labelledby': 'h-lesson', hidden: true });
    this.menu = h('section', { class: 'card lesson-menu', id: 'lesson-menu', 'aria-labelledby': 'h-lessons', hidden: true });
  }

  async loadIndex() {
    if (this.index) return this.index;
    const files = await fetchJson('lessons/index.json').catch(() => []);
    const out = [];
    for (const file of Array.isArray(files) ? files : []) {
      const l = await fetchJson(`lessons/${file}`).catch(() => null);
      if (l && Array.isArray(l.steps) && l.steps.length) out.push({ file, lesson: l, id: l.id ?? file.replace(/\.json$/, '') });
    }
    this.index = out;
    return out;
  }

  /** The list of lessons, in the side column. */
  async showMenu() {
    const list = await this.loadIndex();
    fill(this.menu,
      h('div', { class: 'card-head' }, h('h2', { id: 'h-lessons' }, t('lesson.menu.title')),
        h('button', { type: 'button', class: 'small ghost', onclick: () => this.hideMenu() }, t('lesson.menu.close'))),
      list.length ? h('ol', { class: 'lesson-list' }, list.map((x, i) => h('li', null,
        h('button', { type: 'button', class: 'lesson-pick', 'data-lesson': x.id, onclick: () => this.open(x.id, 1) },
          h('span', { class: 'lesson-n' }, t('lesson.menu.n', { n: i + 1 })), ' ', h('strong', null, words(x.lesson.title))),
        h('p', { class: 'help' }, words(x.lesson.goal)))))
        : h('p', null, t('lesson.menu.none')));
    this.menu.hidden = false;
    this.menu.scrollIntoView({ block: 'nearest', behavior: smooth() });
    this.menu.querySelector('button.lesson-pick, button')?.focus({ preventScroll: true });
  }

  hideMenu() {
    this.menu.hidden = true;
  }

  get active() {
    return !!this.lesson;
  }

  /** Opens lesson `id` at step `n` (1-based). */
  async open(id, n = 1) {
    const list = await this.loadIndex();
    const found = list.find((x) => x.id === id) ?? list[0];
    if (!found) return false;
    this.lesson = found.lesson;
    this.file = found;
    this.hideMenu();
    this.app.lessonStarted?.();
    await this.goto(Math.max(1, Math.min(this.lesson.steps.length, n | 0 || 1)));
    return true;
  }

  close() {
    this.lesson = null;
    this.state = 'idle';
    this.el.hidden = true;
    this.app.cancelRun();
    this.app.clearShow();
    this.app.lessonChanged();
  }

  get step() {
    return this.lesson?.steps[this.stepNo - 1];
  }

  /** Goes to step `n`: a fresh scenario, or (continue) the previous step's run at its moment. */
  async goto(n) {
    const steps = this.lesson.steps;
    this.app.cancelRun();
    // a continuing step needs the run as the previous steps left it: replay from the last fresh one
    let first = n - 1;
    while (first > 0 && steps[first].continue) first--;
    const token = (this.token = {});
    this.state = 'loading';
    this.render();
    try {
      // the scenario the placeholders read: the building step's, with the core's defaults
      this.scenario = fleetlab.check_scenario(steps[first].scenario ?? {});
      this.app.load(steps[first].scenario ?? {}, { lesson: true });
      for (let k = first; k < n - 1; k++) {
        await this.app.runTo(steps[k].run ?? {}, { fast: true });
        if (this.token !== token) return;
      }
    } catch (e) {
      this.app.showError(e);
      return;
    }
    this.stepNo = n;
    this.state = 'ask';
    this.answer = null;
    this.pauseInfo = null;
    this.pauseCtx = null;
    const before = { scenario: this.scenario, start: reading(this.app.sim) };
    this.startCtx = { ...before, theory: evalTheory(this.step.theory, before) };
    this.app.pause();
    this.app.applyView(this.step.view ?? {});
    this.app.lessonChanged();
    this.render();
    this.el.scrollIntoView({ block: 'nearest', behavior: smooth() });
  }

  choose(i) {
    if (this.state !== 'ask') return;
    this.answer = i;
    this.run(false);
  }

  /** Runs to the step's moment (at the step's speed, or at once with `fast`). */
  async run(fast) {
    const token = this.token;
    this.state = 'running';
    this.render();
    const entry = await this.app.runTo(this.step.run ?? {}, { fast, speed: this.step.view?.speed });
    if (this.token !== token || !this.lesson) return;
    this.state = 'paused';
    this.pauseInfo = entry;
    const sim = this.app.sim;
    const ctx = { ...reading(sim), scenario: this.scenario, start: this.startCtx.start, event: entry?.event ?? null, last: lastOfEach(sim) };
    this.pauseCtx = { ...ctx, theory: evalTheory(this.step.theory, ctx) };
    const hl = this.step.view?.highlight;
    if (hl) this.app.highlight(hl, entry?.event);
    else if (entry?.event?.instance != null) this.app.highlight({ instance: entry.event.instance });
    this.render();
    this.el.querySelector('.explanation')?.focus({ preventScroll: true });
  }

  jump() {
    if (this.state === 'running') this.app.jump();
    else if (this.state === 'ask') this.run(true);
  }

  render() {
    if (!this.lesson) { this.el.hidden = true; return; }
    const step = this.step;
    const steps = this.lesson.steps;
    const idx = this.index.findIndex((x) => x.lesson === this.lesson);
    // the question and choices read the step's start; the explanation its pause
    const ask = (o) => fillPlaceholders(words(o), this.startCtx ?? {});
    const say = (o) => fillPlaceholders(words(o), this.pauseCtx ?? this.startCtx ?? {});
    const choices = step?.choices ?? [];
    const q = step?.question ? h('div', { class: 'question' },
      h('p', { class: 'q' }, ask(step.question)),
      choices.length ? h('div', { class: 'choices', role: 'group', 'aria-label': t('lesson.choices') }, choices.map((c, i) => {
        const picked = this.answer === i;
        const reveal = this.answer != null;
        return h('button', {
          type: 'button', class: `choice${reveal && c.correct ? ' correct' : ''}${picked ? ' picked' : ''}`,
          'aria-pressed': picked ? 'true' : 'false', disabled: this.state !== 'ask', onclick: () => this.choose(i),
        }, ask(c.text), reveal && c.correct ? h('span', { class: 'mark' }, ` ✓ ${t('lesson.correct_mark')}`) : null);
      })) : null,
      this.answer != null ? h('p', { class: 'answer', role: 'status' },
        choices[this.answer]?.correct ? t('lesson.right') : t('lesson.not_quite')) : null) : null;
    const running = this.state === 'running' || this.state === 'loading';
    const target = step?.run?.until ? t('lesson.until_event', { event: t(`bp.${step.run.until}`) }) : step?.run?.until_s != null ? t('lesson.until_time', { t: fmt.s(step.run.until_s) }) : '';
    const controls = h('div', { class: 'lesson-run' },
      this.state === 'ask' ? h('button', { type: 'button', class: 'primary', onclick: () => this.run(false) }, t(choices.length ? 'lesson.skip_question' : 'lesson.run')) : null,
      running || this.state === 'ask' ? h('button', { type: 'button', onclick: () => this.jump() }, t('lesson.jump')) : null,
      h('span', { class: 'muted', role: 'status' }, running ? t('lesson.running', { target }) : ''));
    const missed = this.state === 'paused' && step?.run?.until && !this.pauseInfo?.event;
    const explanation = this.state === 'paused' ? h('div', { class: 'explanation', tabindex: '-1' },
      h('p', { class: 'paused-at' }, t('lesson.paused_at', { t: fmt.s(this.app.sim.now_s) })),
      missed ? h('p', { class: 'warn' }, t('lesson.missed', { event: t(`bp.${step.run.until}`) })) : null,
      h('p', null, say(step.explain))) : null;
    const last = this.stepNo >= steps.length;
    fill(this.el,
      h('div', { class: 'card-head' },
        h('p', { class: 'lesson-meta' }, t('lesson.meta', { lesson: idx + 1, lessons: this.index.length, step: this.stepNo, steps: steps.length })),
        h('button', { type: 'button', class: 'small ghost', onclick: () => this.close() }, t('lesson.close'))),
      h('h2', { id: 'h-lesson' }, words(this.lesson.title)),
      h('p', { class: 'goal' }, words(this.lesson.goal)),
      q, controls, explanation,
      h('nav', { class: 'lesson-nav', 'aria-label': t('lesson.nav') },
        h('button', { type: 'button', disabled: this.stepNo <= 1 || running, onclick: () => this.goto(this.stepNo - 1) }, t('lesson.back')),
        last ? h('button', { type: 'button', class: 'primary', disabled: this.state !== 'paused', onclick: () => this.finish() }, t('lesson.finish'))
          : h('button', { type: 'button', class: 'primary', disabled: this.state !== 'paused', onclick: () => this.goto(this.stepNo + 1) }, t('lesson.next'))));
    this.el.hidden = false;
    this.el.dataset.state = this.state;
    this.el.dataset.step = String(this.stepNo);
  }

  finish() {
    const next = this.index[this.index.findIndex((x) => x.lesson === this.lesson) + 1];
    this.close();
    if (next) this.showMenu();
  }
}

async function fetchJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

const smooth = () => (matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth');
