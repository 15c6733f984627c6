// Starts the page: the core (wasm, schema, codes), the language (the link's, else the
// browser's first that the page has), then the view the link describes, and the frame loop.
// If the simulator cannot start (no WebAssembly, a failed download), the page says so in both
// languages instead of staying blank: it has no language catalog to choose from yet.
import * as core from './core.js';
import * as i18n from './i18n.js';
import { readFragment } from './url.js';
import { App } from './app.js';
import { h } from './dom.js';

async function boot() {
  await core.start();
  const frag = readFragment();
  await i18n.setLang(frag.lang ?? i18n.preferredLang());
  const app = new App();
  // what the page tests read
  window.fleetlab = {
    get sim() { return app.sim; },
    app,
    get fleet() { return app.fleetView; },
    get frameTimes() { return app.perf.times; },
    core,
    i18n,
  };
  // the loop runs while the link's view is being set up (it may replay a run to its moment)
  const opening = app.openFragment(frag);
  requestAnimationFrame((now) => app.frame(now));
  await opening;
}

boot().catch((e) => {
  const root = document.getElementById('app');
  const line = (lang, text) => h('p', { class: 'loading', lang }, text);
  root.replaceChildren(
    line('en', `fleetlab could not start its simulator in this browser (${e?.message ?? e}).`),
    line('zh-CN', 'fleetlab 无法在这个浏览器中启动模拟器。'));
  console.error(e);
});
