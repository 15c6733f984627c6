// A number control: a labelled text field (what a person types is handed to the core as
// text: the core parses and checks it) and, for the main settings, a slider over a list of
// distinct round values (so every arrow key press moves to the next value: no log-scale
// rounding back to where it was). Typing applies after a pause (debounced: typing "12" never
// passes through N = 1), on Enter or when the field loses focus; the slider applies at once. A
// refusal is worded from the core's structured error next to the field (role="alert",
// aria-invalid) and the simulation keeps its last good value.
import { h, text } from './dom.js';
import { errorText } from './errors.js';
import { fmt } from './i18n.js';

let seq = 0;
export const uid = (base) => `${String(base).replace(/[^a-z0-9]+/gi, '-')}-${++seq}`;

/** Distinct round values from lo to hi: every integer to 20, then 1, 1.2, 1.5, 2, … per decade. */
export function roundValues(lo, hi) {
  const M = [1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9];
  const out = new Set();
  for (let v = Math.ceil(lo); v <= Math.min(20, hi); v++) out.add(v);
  for (let d = 10 ** Math.floor(Math.log10(Math.max(lo, 1))); d <= hi; d *= 10) {
    for (const m of M) {
      const v = Math.round(m * d * 1000) / 1000;
      if (v >= lo && v <= hi) out.add(v);
    }
  }
  return [...out].sort((a, b) => a - b);
}

const TYPING_PAUSE_MS = 500;

export class NumberField {
  /**
   * @param {object} o
   * @param {string} o.label   accessible name and visible label
   * @param {string} [o.hint]  the allowed range in words
   * @param {string} [o.help]
   * @param {(text: string) => void} o.apply  hands the typed text to the core; throws its error
   * @param {() => string} o.keeping  the value the simulation keeps, in words
   * @param {number[]} [o.values]  slider values (round, distinct, ascending)
   * @param {string} [o.id]
   */
  constructor(o) {
    this.o = o;
    const id = o.id ?? uid('f');
    this.id = id;
    this.input = h('input', {
      id, type: 'text', inputmode: 'decimal', autocomplete: 'off', spellcheck: false,
      'aria-describedby': `${id}-hint ${id}-err`, 'data-path': o.path ?? null,
      onchange: () => this.now(), oninput: () => this.later(),
      onkeydown: (e) => { if (e.key === 'Enter') this.now(); },
    });
    this.err = h('p', { class: 'err', id: `${id}-err`, role: 'alert' });
    if (o.values) {
      this.slider = h('input', {
        type: 'range', min: 0, max: o.values.length - 1, step: 1, 'aria-label': o.sliderLabel ?? o.label,
        'data-slider-for': o.path ?? null,
        oninput: () => this.fromSlider(Number(this.slider.value)),
        onkeydown: (e) => this.sliderKey(e),
      });
    }
    this.el = h('div', { class: 'field', 'data-field': o.path ?? null },
      h('label', { for: id }, o.label),
      h('div', { class: 'pair' }, this.input, this.slider),
      o.hint ? h('p', { class: 'hint', id: `${id}-hint` }, o.hint) : h('p', { class: 'hint vh', id: `${id}-hint` }),
      o.help ? h('p', { class: 'help' }, o.help) : null,
      this.err);
    this.value = null;
  }

  later() {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.now(), TYPING_PAUSE_MS);
  }

  now() {
    clearTimeout(this.pending);
    this.commit(this.input.value);
  }

  /** Hands `raw` to the core; true when accepted. */
  commit(raw) {
    const typed = String(raw);
    // Enter, then the change event, then the typing pause: one edit, not three
    if (typed === this.committed && !this.invalid) return true;
    try {
      this.o.apply(typed.trim());
    } catch (e) {
      if (!(e instanceof Error) || e.kind == null) throw e;
      this.showError(errorText(e, { typed, keeping: this.o.keeping() }));
      return false;
    }
    this.clearError();
    this.committed = typed;
    const v = Number(typed);
    if (typed.trim() !== '' && Number.isFinite(v)) {
      this.value = v;
      this.placeSlider(v);
    }
    return true;
  }

  showError(msg) {
    this.input.setAttribute('aria-invalid', 'true');
    text(this.err, msg);
  }

  clearError() {
    this.input.removeAttribute('aria-invalid');
    text(this.err, '');
  }

  get invalid() {
    return this.input.getAttribute('aria-invalid') === 'true';
  }

  /** Shows the simulation's value (no apply). */
  set(v) {
    this.value = v;
    this.input.value = v == null ? '' : String(v);
    this.committed = this.input.value;
    this.clearError();
    this.placeSlider(v);
  }

  /** Follows a value that moves on its own (autoscaler, scheduled change) unless being edited. */
  follow(v) {
    if (this.invalid || document.activeElement === this.input || v === this.value) return;
    this.set(v);
  }

  placeSlider(v) {
    if (!this.slider || v == null) return;
    const vals = this.o.values;
    let best = 0;
    for (let i = 0; i < vals.length; i++) if (Math.abs(vals[i] - v) < Math.abs(vals[best] - v)) best = i;
    this.slider.value = String(best);
    this.slider.setAttribute('aria-valuetext', fmt.num(v));
  }

  fromSlider(i) {
    const v = this.o.values[i];
    this.input.value = String(v);
    if (this.commit(String(v))) {
      this.value = v;
      this.slider.setAttribute('aria-valuetext', fmt.num(v));
    }
  }

  /** Arrow keys go to the next distinct value above or below the current one. */
  sliderKey(e) {
    const vals = this.o.values;
    const cur = Number.isFinite(this.value) ? this.value : vals[Number(this.slider.value)];
    let i = null;
    if (e.key === 'ArrowRight' || e.key === 'ArrowUp') i = vals.findIndex((v) => v > cur);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowDown') i = vals.findLastIndex((v) => v < cur);
    else if (e.key === 'PageUp') i = Math.min(vals.length - 1, Math.max(0, vals.findIndex((v) => v > cur)) + 9);
    else if (e.key === 'PageDown') i = Math.max(0, vals.findLastIndex((v) => v < cur) - 9);
    else if (e.key === 'Home') i = 0;
    else if (e.key === 'End') i = vals.length - 1;
    else return;
    e.preventDefault();
    if (i == null || i < 0) return;
    this.slider.value = String(i);
    this.fromSlider(i);
  }
}
