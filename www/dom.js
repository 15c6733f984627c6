// The page's one way of building DOM: h(tag, props, ...children). Props set attributes
// (`class`, `aria-*`, `data-*`, `for`, …), properties when the element has one of that name
// (`value`, `checked`, `hidden`, `disabled`, `tabIndex`), `on<event>` listeners and `ref`
// (called with the element). Children are nodes, strings, numbers, arrays or null/false
// (skipped). No templates, no innerHTML: text is always text.

export function h(tag, props, ...children) {
  const el = tag.includes(':') ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1]) : document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v == null || v === false) continue;
    if (k === 'ref') v(el);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k in el && !k.includes('-') && k !== 'list' && k !== 'form' && typeof el[k] !== 'function' && !(el instanceof SVGElement)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets text only when it changed (no needless layout or screen-reader chatter). */
export function text(el, s) {
  if (el.textContent !== s) el.textContent = s;
}
