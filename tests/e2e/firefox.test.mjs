// The page in Firefox (Debian's firefox-esr), driven through geckodriver's W3C WebDriver API
// with plain fetch: it loads, its simulation runs, the seed's worked example shows, the labelled
// N control redraws the fleet, and nothing is logged as an error. Screenshot:
// target/screenshots/firefox.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, root } from './harness.mjs';

let server;
let driver;
let wd; // base URL of the WebDriver session

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

before(async () => {
  server = await startServer();
  const port = 20000 + Math.floor(Math.random() * 2000);
  driver = spawn(geckodriverPath(), ['--port', String(port), '--log', 'error'], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try { await fetch(`${base}/status`); break; } catch { await new Promise((r) => setTimeout(r, 200)); }
  }
  const profile = mkdtempSync(join(tmpdir(), 'fleetlab-ff-'));
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
});

test('the page runs in Firefox: worked example, live N, no errors', async () => {
  await call('POST', '/url', { url: server.url });
  // Record errors from here on, then wait for the simulation to run.
  await sync(`window.__errors = []; window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
    const orig = console.error; console.error = (...a) => { window.__errors.push(a.join(' ')); orig(...a); };`);
  const started = await run(`const done = arguments[arguments.length - 1];
    const t0 = Date.now();
    (function wait() { const s = window.fleetlab?.sim; if (s && s.now_s > 1) done(s.now_s); else if (Date.now() - t0 > 20000) done(null); else setTimeout(wait, 100); })();`);
  assert.ok(started > 1, 'the simulation advances in Firefox');
  const readouts = await sync(`const out = {};
    for (const o of document.querySelectorAll('output')) { const l = o.labels?.[0]?.textContent ?? o.getAttribute('aria-label') ?? o.id; out[l.trim().split('\\n')[0]] = o.textContent.trim(); }
    return out;`);
  const text = JSON.stringify(readouts);
  assert.match(text, /Per-instance load[^,]*100 req\/s/, text);
  assert.match(text, /Instances needed[^,]*"5"/, text);
  // Type N = 12 into the labelled field, as a user would, and wait for 12 drawn instances.
  const field = await call('POST', '/element', { using: 'css selector', value: 'input[aria-describedby][id]' }).catch(() => null);
  assert.ok(field, 'an input exists');
  const nInput = await sync(`const l = [...document.querySelectorAll('label')].find((x) => x.textContent.trim().startsWith('Instances (N)'));
    return l ? l.htmlFor : null;`);
  assert.ok(nInput, 'the Instances (N) label names its input');
  const el = await call('POST', '/element', { using: 'css selector', value: `#${nInput}` });
  const id = Object.values(el)[0];
  await call('POST', `/element/${id}/clear`, {});
  await call('POST', `/element/${id}/value`, { text: '12\uE007' });
  const drawn = await run(`const done = arguments[arguments.length - 1]; const t0 = Date.now();
    (function wait() { const n = document.getElementById('fleet').dataset.instancesDrawn; if (n === '12' || Date.now() - t0 > 10000) done(n); else setTimeout(wait, 100); })();`);
  assert.equal(drawn, '12');
  const png = await call('GET', '/screenshot');
  mkdirSync(join(root, 'target/screenshots'), { recursive: true });
  writeFileSync(join(root, 'target/screenshots/firefox.png'), Buffer.from(png, 'base64'));
  assert.deepEqual(await sync('return window.__errors'), []);
});
