// The fleet canvas's look, shared by its drawing modules: the utilisation colour scale (the
// page legend's gradient) as tables built once — CSS strings for vector drawing, packed RGBA
// pixels for ImageData — the state colours, fonts and dashes, and the timings of the animations.
// Nothing here is built per frame.

export const DOT_S = 0.45; // seconds a request dot travels (real time)
export const FAIL_TRAVEL = 0.4, FAIL_BURST = 0.25, FAIL_PULSE_S = 0.6;
export const PANEL_EVERY_S = 0.5; // the heat map's panel (histogram, call-outs, counts) refresh
export const HIST_BINS = 20;
export const TOP_K = 3;

export const STOPS = [
  [0, [59, 130, 196]],
  [0.45, [47, 163, 107]],
  [0.78, [224, 177, 0]],
  [1, [214, 69, 65]],
];
export function utilRGB(u) {
  u = Math.max(0, Math.min(1, u || 0));
  let i = 1;
  while (i < STOPS.length - 1 && u > STOPS[i][0]) i++;
  const [u0, c0] = STOPS[i - 1];
  const [u1, c1] = STOPS[i];
  const t = (u - u0) / (u1 - u0);
  return c0.map((x, k) => Math.round(x + (c1[k] - x) * t));
}
/** The utilisation colour scale (also the page legend's gradient), as a CSS colour. */
export function utilColor(u, a = 1) {
  const c = utilRGB(u);
  return `rgba(${c[0]},${c[1]},${c[2]},${a})`;
}

export const LUT = 256; // utilisation steps in the colour tables
export const lutIndex = (u) => (u > 0 ? (u >= 1 ? LUT - 1 : (u * (LUT - 1) + 0.5) | 0) : 0);
const LITTLE = new Uint8Array(new Uint32Array([0x01020304]).buffer)[0] === 4;
/** A pixel of ImageData's RGBA bytes as one Uint32. */
export function px(r, g, b, a = 255) {
  return (LITTLE ? (a << 24) | (b << 16) | (g << 8) | r : (r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}
export const UTIL_CSS = [];
export const UTIL_PX = new Uint32Array(LUT);
for (let i = 0; i < LUT; i++) {
  const [r, g, b] = utilRGB(i / (LUT - 1));
  UTIL_CSS.push(`rgb(${r},${g},${b})`);
  UTIL_PX[i] = px(r, g, b);
}
const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
export const C = {
  crashed: '#3a0d0d', crashedLine: '#d64541', stopped: '#3c4654', hatchLine: '#6b7786',
  starting: 'rgba(124,196,255,0.22)', startingLine: '#7cc4ff', outOfView: '#b57cff', ejected: '#ff9f1c',
  selected: '#ffffff', fail: '#ff4d4d', failDark: '#3a0d0d', idlest: '#7cc4ff',
  // rings of crashed instances on the heat map: a red apart from the utilisation scale's end
  crashRing: '#ff5c8a',
  text: '#e8eef5', muted: '#9fb3c8', panelLine: 'rgba(159,179,200,0.25)',
};
export const P = {
  crashed: px(...hex(C.crashed)), crashedLine: px(...hex(C.crashedLine)), stopped: hex(C.stopped),
  hatchLine: px(...hex(C.hatchLine)), hatchDark: px(...hex(C.stopped)), starting: px(124, 196, 255, 56),
  startingMap: px(124, 196, 255, 150), startingLine: px(...hex(C.startingLine)), outOfView: px(...hex(C.outOfView)),
  ejected: px(...hex(C.ejected)), queue: px(240, 244, 248), draining: px(...hex(C.hatchLine)),
};
// fills and dashes made once (no per-frame arrays)
export const DASH_START = [4, 3], DASH_VIEW = [3, 3], DASH_NONE = [], DASH_IDLE = [3, 2];
export const FONT_LB = '600 13px system-ui, sans-serif', FONT_SMALL = '11px system-ui, sans-serif';
export const FONT_L = '600 12px system-ui, sans-serif', FONT_TAG = '600 11px system-ui, sans-serif';
export const FONT_ID_BIG = '600 13px system-ui, sans-serif', FONT_ID = '600 10px system-ui, sans-serif';
export const FONT_LINE_BIG = '12px system-ui, sans-serif', FONT_LINE = '9.5px system-ui, sans-serif';
export const FONT_H = '600 12px system-ui, sans-serif', FONT_P = '11.5px system-ui, sans-serif';
