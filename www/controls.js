// A number field with an optional log-scale slider beside it. The field is applied when the
// user pauses typing (debounced, so typing "12" never passes through N = 1 and drains four
// instances on the way), on Enter or when it loses focus; the slider and arrow keys apply at
// once. If the simulator's setter throws, its message (naming the field and the allowed range)
// is shown in the role="alert" element tied to the field by aria-describedby, the field gets
// aria-invalid="true", and the simulation keeps its last good value.
import { num } from './format.js';

/** Slider position 0..1000 <-> value on a log scale from lo to hi. */
export function logScale(lo, hi, round) {
  const k = Math.log(hi / lo);
  return {
    toSlider: (v) => Math.max(0, Math.min(1000, Math.round((Math.log(Math.max(lo, Math.min(hi, v)) / lo) / k) * 1000))),
    fromSlider: (s) => round(lo * Math.exp((k * Number(s)) / 1000)),
  };
}

/** Rounds to 2 significant-ish steps so slider values look deliberate (1, 2, ... 10, 12, 15 ... 450, 500). */
export function nice(v) {
  if (v < 10) return Math.round(v);
  const p = 10 ** Math.floor(Math.log10(v) - 1);
  return Math.round(v / p) * p;
}

export class NumberControl {
  /**
   * @param {object} o
   * @param {HTMLInputElement} o.input  the text field
   * @param {HTMLInputElement} [o.slider]
   * @param {HTMLElement} o.err  role="alert" element
   * @param {(v:number)=>void} o.apply  throws Error(message) on bad input
   * @param {()=>string} o.keeping  describes the last good value, e.g. "N = 5"
   * @param {{toSlider, fromSlider}} [o.scale]
   * @param {number} [o.step]  arrow-key step
   * @param {string} [o.event]  'input' (applied after a pause in typing, and on Enter or blur)
   *   or 'change' (on Enter or blur only)
   */
  constructor(o) {
    Object.assign(this, o);
    this.step ??= 1;
    const now = () => { clearTimeout(this.pending); this.commit(this.input.value); };
    this.input.addEventListener('change', now);
    if ((o.event ?? 'input') === 'input') {
      this.input.addEventListener('input', () => {
        clearTimeout(this.pending);
        this.pending = setTimeout(now, NumberControl.TYPING_PAUSE_MS);
      });
    }
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.slider?.addEventListener('input', () => {
      const v = this.scale.fromSlider(this.slider.value);
      this.input.value = String(v);
      this.commit(String(v));
    });
  }

  /** How long typing must pause before the value applies. */
  static TYPING_PAUSE_MS = 500;

  onKey(e) {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    const cur = Number(this.input.value);
    if (!Number.isFinite(cur)) return;
    e.preventDefault();
    const step = e.shiftKey ? this.step * 10 : this.step;
    const next = Math.max(0, cur + (e.key === 'ArrowUp' ? step : -step));
    this.input.value = String(Number(next.toFixed(6)));
    this.commit(this.input.value);
  }

  /** Applies a raw string; returns true when accepted. */
  commit(raw) {
    const text = String(raw).trim();
    const v = text === '' ? NaN : Number(text);
    try {
      this.apply(v);
    } catch (e) {
      let msg = e instanceof Error ? e.message : String(e);
      if (text === '') msg = msg.replace(/got NaN$/, 'but the field is empty');
      else if (Number.isNaN(v)) msg = msg.replace(/got NaN$/, `got "${text.slice(0, 20)}", which is not a number`);
      this.showError(`${msg}. Keeping ${this.keeping()}.`);
      return false;
    }
    this.clearError();
    if (this.slider) this.slider.value = String(this.scale.toSlider(v));
    return true;
  }

  showError(msg) {
    this.input.setAttribute('aria-invalid', 'true');
    if (this.err.textContent !== msg) this.err.textContent = msg;
  }

  clearError() {
    this.input.removeAttribute('aria-invalid');
    this.err.textContent = '';
  }

  get invalid() {
    return this.input.getAttribute('aria-invalid') === 'true';
  }

  /** Sets the shown value from the simulation (no apply). */
  set(v) {
    this.input.value = typeof v === 'number' ? String(v) : v;
    if (this.slider) this.slider.value = String(this.scale.toSlider(Number(v)));
    this.clearError();
  }

  /** Follows a value that changes on its own (autoscaler, traffic changes) unless the user is editing. */
  follow(v) {
    if (this.invalid || document.activeElement === this.input) return;
    if (Number(this.input.value) !== v) this.set(v);
  }
}

export { num };
