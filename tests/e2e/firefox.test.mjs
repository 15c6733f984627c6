// The page in Firefox (Debian's firefox-esr), driven through geckodriver's W3C WebDriver API
// with plain fetch: it loads in Chinese from the link, explains the article's example, the
// labelled N control redraws the fleet, Step and the time slider work, a lesson step runs to its
// moment, Reset restores the default, and nothing is logged as an error. Screenshot:
// target/screenshots/firefox.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, root } from './harness.mjs';

let server;
let driver;
let wd; // base URL of the WebDriver session
let profile;

function geckodriverPath() {
  return execFileSync('sh', ['-c', 'command -v geckodriver || echo $HOME/.cargo/bin/geckodriver']).toString().trim();
}

async function call(method, path, body) {
  const r = await fetch(`${wd}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const json = await r.json();
  if (json.value?.error) throw new Error(`${json.value.error}: ${json.value.message}`);
  return json.value;
}

const run = (script, ...args) => call('POST', '/execute/async', { script, args });
const sync = (script, ...args) => call('POST', '/execute/sync', { script, args });
/** Waits (in the page) until `cond` (a JS expression) is true; returns its value or null. */
const until = (cond, ms = 20000) => run(`const done = arguments[arguments.length - 1]; const t0 = Date.now();
  (function wait() { let v; try { v = (${cond}); } catch { v = null; } if (v) done(v); else if (Date.now() - t0 > ${ms}) done(null); else setTimeout(wait, 100); })();`);

async function element(css) {
  const el = await call('POST', '/element', { using: 'css selector', value: css });
  return Object.values(el)[0];
}

before(async () => {
  server = await startServer();
  const port = 20000 + Math.floor(Math.random() * 2000);
  driver = spawn(geckodriverPath(), ['--port', String(port), '--log', 'error'], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try { await fetch(`${base}/status`); break; } catch { await new Promise((r) => setTimeout(r, 200)); }
  }
  profile = mkdtempSync(join(tmpdir(), 'fleetlab-ff-'));
  const r = await fetch(`${base}/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ capabilities: { alwaysMatch: { browserName: 'firefox', 'moz:firefoxOptions': { args: ['-headless', '-profile', profile], prefs: { 'network.proxy.type': 0 } } } } }),
  });
  const session = (await r.json()).value;
  assert.ok(session.sessionId, `no WebDriver session: ${JSON.stringify(session)}`);
  wd = `${base}/session/${session.sessionId}`;
  await call('POST', '/window/rect', { width: 1366, height: 800 });
});

after(async () => {
  if (wd) await fetch(wd, { method: 'DELETE' }).catch(() => {});
  driver?.kill();
  server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('the page in Firefox: Chinese, the worked example, N, Step, rewind, a lesson step, Reset, no errors', async () => {
  await call('POST', '/url', { url: `${server.url}#lang=zh-CN` });
  await sync(`window.__errors = []; window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
    const orig = console.error; console.error = (...a) => { window.__errors.push(a.join(' ')); orig(...a); };`);
  assert.ok(await until('window.fleetlab?.sim && window.fleetlab.sim.now_s > 1'), 'the simulation advances in Firefox');
  assert.equal(await sync('return document.documentElement.lang'), 'zh-CN');
  const headline = await sync(`return document.querySelector('.headline').textContent`);
  assert.match(headline, /这正是文章中的例子/);
  // type N = 12 into the field its label names, as a user would
  const nInput = await sync(`const l = [...document.querySelectorAll('label')].find((x) => x.textContent.trim() === '实例数 N'); return l ? l.htmlFor : null;`);
  assert.ok(nInput, 'the 实例数 N label names its input');
  const id = await element(`#${nInput}`);
  await call('POST', `/element/${id}/clear`, {});
  await call('POST', `/element/${id}/value`, { text: '12\uE007' });
  assert.equal(await until(`document.getElementById('fleet').dataset.instancesDrawn === '12' && '12'`), '12');
  // pause, step one second, rewind by the slider's keyboard
  await call('POST', `/element/${await element('#btn-play')}/click`, {});
  assert.ok(await until('!window.fleetlab.app.playing'));
  await sync(`document.getElementById('step-unit').value = 'second'; document.getElementById('step-unit').dispatchEvent(new Event('change'));`);
  const t0 = await sync('return window.fleetlab.sim.now_s');
  await call('POST', `/element/${await element('#btn-step')}/click`, {});
  const t1 = await sync('return window.fleetlab.sim.now_s');
  assert.ok(Math.abs(t1 - t0 - 1) < 1e-6, `one second: ${t0} → ${t1}`);
  const slider = await element('#time');
  await call('POST', `/element/${slider}/click`, {}).catch(() => {});
  await call('POST', '/actions', { actions: [{ type: 'key', id: 'k', actions: [{ type: 'keyDown', value: '\uE012' }, { type: 'keyUp', value: '\uE012' }] }] });
  await until('window.fleetlab.app.seekTo == null && !window.fleetlab.app.playing');
  const t2 = await sync('return window.fleetlab.sim.now_s');
  assert.ok(t2 < t1, `rewound: ${t1} → ${t2}`);
  // a lesson step to its moment (the sample lesson, served by the page's own lesson player)
  await sync(`window.fleetlab.app.load({ faults: [{ at_s: 2, kind: 'crash', instance: 1 }] }); window.fleetlab.app.runTo({ until: 'evicted', max_s: 60 }, { fast: true }).then((r) => { window.__hit = r.event; });`);
  const hit = await until('window.__hit');
  assert.equal(hit.kind, 'evicted');
  assert.equal(await sync('return window.fleetlab.sim.now_s'), hit.t_s);
  const png = await call('GET', '/screenshot');
  mkdirSync(join(root, 'target/screenshots'), { recursive: true });
  writeFileSync(join(root, 'target/screenshots/firefox.png'), Buffer.from(png, 'base64'));
  // Reset
  await call('POST', `/element/${await element('#btn-reset')}/click`, {});
  assert.ok(await until(`window.fleetlab.sim.scenario().instances.count === 5 && !(window.fleetlab.sim.description().faults ?? []).length`));
  assert.deepEqual(await sync('return window.__errors'), []);
});
