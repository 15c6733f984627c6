// Starts the page: the core (wasm, schema, codes), the language (the link's, else the
// browser's first that the page has), then the view the link describes, and the frame loop.
import * as core from './core.js';
import * as i18n from './i18n.js';
import { readFragment } from './url.js';
import { App } from './app.js';

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
