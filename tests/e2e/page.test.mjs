// Page tests: the static page in Debian's chromium, driven by playwright-core.
// Run from the repository root after `make wasm` and `cargo build --release --bin fleetlab`:
//   node --test tests/e2e/
// The test starts its own server (scripts/serve.mjs) on a free port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, openPage } from './harness.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLI = join(root, 'target/release/fleetlab');

let server;
let browser;
let base;
/** Problems seen on any page: console errors, page errors, failed or foreign requests. */
const problems = [];

before(async () => {
  server = await startServer();
  base = server.url;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Opens the page (optionally with a hash) and waits until the simulation is running. */
async function open(hash = '') {
  return openPage(browser, base + hash, problems);
}

const N = (page) => page.getByRole('textbox', { name: 'Instances (N)' });
const L = (page) => page.getByRole('textbox', { name: 'Load L (requests/s)' });
const C = (page) => page.getByRole('textbox', { name: 'Capacity C (requests/s per instance)' });
const out = (page, label) => page.getByLabel(label, { exact: true }).textContent();

test('default view is the worked example; L = 501 needs 6 instances', async () => {
  const page = await open();
  assert.equal(await out(page, 'Per-instance load'), '100 req/s');
  assert.equal(await out(page, 'Instances needed'), '5');
  assert.equal(await out(page, 'Utilization'), '1 (100%)');
  assert.equal(await N(page).inputValue(), '5');
  assert.equal(await L(page).inputValue(), '500');
  assert.equal(await C(page).inputValue(), '100');
  // rho = 1 exactly: the page says so
  assert.match(await page.locator('#overload').textContent(), /ρ = L\/\(N·C\) = 1/);
  assert.equal(await page.locator('#overload').isVisible(), true);

  await L(page).fill('501');
    await L(page).press('Enter');
  assert.equal(await out(page, 'Per-instance load'), '100.2 req/s');
  assert.equal(await out(page, 'Instances needed'), '6');
  assert.match(await page.locator('#overload').textContent(), /Overloaded/);
  await L(page).fill('450');
    await L(page).press('Enter');
  assert.equal(await out(page, 'Per-instance load'), '90 req/s');
  assert.equal(await out(page, 'Utilization'), '0.9 (90%)');
  assert.equal(await page.locator('#overload').isVisible(), false);
  // M/M/1 with lambda 90, mu 100: W = 1/(100-90) = 100 ms
  assert.equal(await page.getByLabel('M/M/1 prediction').textContent(), '100 ms');
  assert.equal(await page.evaluate(() => window.fleetlab.sim.scenario().traffic.rate_rps), 450);
  await page.close();
});

test('the canvas draws N instances, and follows N up and down', async () => {
  const page = await open();
  const canvas = page.locator('canvas#fleet');
  assert.equal(await canvas.getAttribute('data-instances-drawn'), '5');
  await N(page).fill('12');
    await N(page).press('Enter');
  await page.waitForFunction(() => document.querySelector('#fleet').dataset.instancesDrawn === '12', null, { timeout: 3000 });
  assert.equal(await out(page, 'Per-instance load'), '41.67 req/s');
  // slider moves with the field
  assert.ok(Number(await page.locator('#rg-n').inputValue()) > 300);
  // scale down: removed instances drain and linger, then leave
  await N(page).fill('3');
    await N(page).press('Enter');
  await page.waitForFunction(() => document.querySelector('#fleet').dataset.instancesReady === '3', null, { timeout: 3000 });
  await page.waitForFunction(() => document.querySelector('#fleet').dataset.instancesDrawn === '3', null, { timeout: 8000 });
  // a large fleet still renders (no per-instance text, cells shrink)
  await N(page).fill('1000');
    await N(page).press('Enter');
  await page.waitForFunction(() => document.querySelector('#fleet').dataset.instancesDrawn === '1000', null, { timeout: 3000 });
  await page.close();
});

test('bad input shows an alert naming the field and range, and the simulation keeps its settings', async () => {
  const page = await open();
  const cases = [
    ['0', /instances\.count: must be between 1 and 100000, got 0/],
    ['-3', /instances\.count: must be between 1 and 100000, got -3/],
    ['abc', /instances\.count: .*between 1 and 100000.*not a number/],
    ['1e9', /instances\.count: must be between 1 and 100000, got 1000000000/],
    ['2.5', /instances\.count: must be a whole number between 1 and 100000/],
    ['', /instances\.count: .*between 1 and 100000.*empty/],
  ];
  const n = N(page);
  for (const [value, message] of cases) {
    await n.fill(value);
    await n.press('Enter');
    assert.equal(await n.getAttribute('aria-invalid'), 'true', `aria-invalid for N = "${value}"`);
    const describedBy = (await n.getAttribute('aria-describedby')).split(/\s+/);
    const alert = page.locator('#err-n');
    assert.ok(describedBy.includes('err-n'));
    assert.equal(await alert.getAttribute('role'), 'alert');
    assert.match(await alert.textContent(), message, `message for N = "${value}"`);
    assert.match(await alert.textContent(), /Keeping N = 5/);
    assert.equal(await out(page, 'Per-instance load'), '100 req/s');
    assert.equal(await out(page, 'Instances needed'), '5');
    assert.equal(await page.evaluate(() => window.fleetlab.sim.scenario().instances.count), 5);
  }
  // the alert is among the visible alerts on the page
  assert.ok((await page.getByRole('alert').filter({ hasText: 'instances.count' }).count()) === 1);

  await C(page).fill('0');
    await C(page).press('Enter');
  assert.equal(await C(page).getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#err-c').textContent(), /instances\.capacity_rps: must be between 0\.001 and 10000000, got 0/);
  await L(page).fill('-1');
    await L(page).press('Enter');
  assert.match(await page.locator('#err-l').textContent(), /traffic\.rate_rps: must be between 0 and 10000000, got -1/);
  await L(page).fill('NaN');
    await L(page).press('Enter');
  assert.equal(await L(page).getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#err-l').textContent(), /traffic\.rate_rps/);
  assert.equal(await out(page, 'Per-instance load'), '100 req/s');
  assert.equal(await out(page, 'Instances needed'), '5');
  const sc = await page.evaluate(() => window.fleetlab.sim.scenario());
  assert.equal(sc.instances.capacity_rps, 100);
  assert.equal(sc.traffic.rate_rps, 500);

  // a good value clears the error
  await n.fill('10');
    await n.press('Enter');
  assert.equal(await n.getAttribute('aria-invalid'), null);
  assert.equal(await page.locator('#err-n').textContent(), '');
  assert.equal(await out(page, 'Per-instance load'), '50 req/s');
  await page.close();
});

test('URL: #scenario loads a scenario, the page keeps the hash in step, invalid links fall back', async () => {
  const hash = '#scenario=' + encodeURIComponent(JSON.stringify({ instances: { count: 7 }, traffic: { rate_rps: 350 } }));
  const page = await open(hash);
  assert.equal(await N(page).inputValue(), '7');
  assert.equal(await L(page).inputValue(), '350');
  assert.equal(await out(page, 'Per-instance load'), '50 req/s');
  await C(page).fill('80');
    await C(page).press('Enter');
  await page.waitForFunction(() => /capacity_rps/.test(decodeURIComponent(location.hash)), null, { timeout: 3000 });
  const sc = await page.evaluate(() => JSON.parse(decodeURIComponent(location.hash.replace(/^#scenario=/, ''))));
  assert.equal(sc.instances.count, 7);
  assert.equal(sc.instances.capacity_rps, 80);
  assert.equal(sc.traffic.rate_rps, 350);
  await page.close();

  // the kept hash reproduces the view
  const again = await open('#scenario=' + encodeURIComponent(JSON.stringify(sc)));
  assert.equal(await C(again).inputValue(), '80');
  assert.equal(await out(again, 'Instances needed'), '5');
  await again.close();

  const bad = await open('#scenario=' + encodeURIComponent(JSON.stringify({ instances: { count: 0 } })));
  const banner = bad.locator('#load-error');
  assert.equal(await banner.isVisible(), true);
  assert.match(await banner.textContent(), /instances\.count: must be between 1 and 100000, got 0/);
  assert.equal(await N(bad).inputValue(), '5');
  await bad.close();
});

test('screenshot', async () => {
  const page = await open();
  await page.waitForTimeout(2500);
  mkdirSync(join(root, 'target/screenshots'), { recursive: true });
  await page.screenshot({ path: join(root, 'target/screenshots/page.png') });
  await page.screenshot({ path: join(root, 'target/screenshots/page-full.png'), fullPage: true });
  // charts have data
  const samples = await page.evaluate(() => window.fleetlab.sim.timeline_total());
  assert.ok(samples >= 2, `timeline samples: ${samples}`);
  await page.close();
});

test('determinism: the page and the native CLI give identical summaries', async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run cargo build --release --bin fleetlab`);
  const scenarios = [
    { duration_s: 60 },
    { duration_s: 200, traffic: { rate_rps: 450 }, instances: { count: 5, capacity_rps: 100 }, balancer: { algorithm: 'round_robin' } },
    { seed: 7, duration_s: 120, traffic: { rate_rps: 450 }, instances: { count: 5, capacity_rps: 100 }, balancer: { algorithm: 'shared_queue' } },
  ];
  // plus the repository's shared scenarios (the same ones the wasm tests replay)
  const shared = join(root, 'tests/scenarios');
  if (existsSync(shared)) {
    for (const f of readdirSync(shared).filter((f) => f.endsWith('.json')).sort()) scenarios.push(JSON.parse(readFileSync(join(shared, f), 'utf8')));
  }
  const dir = mkdtempSync(join(tmpdir(), 'fleetlab-e2e-'));
  const page = await open();
  for (const [i, s] of scenarios.entries()) {
    const file = join(dir, `s${i}.json`);
    writeFileSync(file, JSON.stringify(s));
    const native = JSON.parse(execFileSync(CLI, ['run', file], { encoding: 'utf8' }));
    const inPage = JSON.parse(await page.evaluate(async (sc) => {
      const m = await import('/pkg/fleetlab.js');
      await m.default();
      const sim = new m.Simulation(sc);
      sim.run_to_end();
      const r = sim.summary();
      sim.free();
      return JSON.stringify(r, (k, v) => (v === undefined ? null : v));
    }, s));
    assert.ok(native.requests.completed > 1000, `the scenario did something: ${JSON.stringify(s)}`);
    assert.deepStrictEqual(inPage, native, `scenario ${JSON.stringify(s)}`);
  }
  await page.close();
});

test('no console errors, page errors, failed or foreign requests on any page', () => {
  assert.deepEqual(problems, []);
});
