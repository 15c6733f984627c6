// Page tests for the Autoscaler tab (www/autoscaler-panel.js, presets.js, hpa-export.js,
// autoscaler-chart.js): settings reach the simulation and the URL, bad values are refused next
// to their control, presets drive the HPA, the YAML export is the core's hpa_yaml().
//   node --test tests/e2e/autoscaler.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, root, openPage } from './harness.mjs';

let server;
let browser;
let base;
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

async function open(hash = '') {
  const page = await openPage(browser, base + hash, problems);
  await page.getByRole('tab', { name: 'Autoscaler' }).click();
  return page;
}

const kindSelect = (page) => page.getByRole('combobox', { name: 'Autoscaler', exact: true });
const field = (page, name) => page.getByRole('textbox', { name, exact: true });
const autoscalerOf = (page) => page.evaluate(() => window.fleetlab.sim.scenario().autoscaler);
const hashScenario = (page) => page.evaluate(() => JSON.parse(decodeURIComponent(location.hash.replace(/^#scenario=/, '')) || '{}'));

async function pause(page) {
  const play = page.locator('#btn-play');
  if ((await play.getAttribute('aria-pressed')) === 'true') await play.click();
}

/** Advances the page's simulation (paused) to t = `t` and lets the panel's tick run. */
async function advanceTo(page, t) {
  await page.evaluate((t) => { const s = window.fleetlab.sim; if (s.now_s < t) s.advance(t - s.now_s); }, t);
  await page.waitForTimeout(400);
}

test('HPA chosen with the labelled control, target 60: the simulation and the URL carry it', async () => {
  const page = await open();
  await kindSelect(page).selectOption('hpa');
  await field(page, 'Target utilization (%)').fill('60');
  const a = await autoscalerOf(page);
  assert.deepEqual(a, {
    kind: 'hpa', min_replicas: 1, max_replicas: 100, target_utilization_pct: 60,
    tolerance: { scale_down: 0.1, scale_up: 0.1 }, behavior: null, sync_s: 15,
  });
  // behavior on, with an edited scale-down window and an added policy
  await page.getByRole('checkbox', { name: /Custom behavior/ }).check();
  await field(page, 'Stabilization window (s)').nth(1).fill('60');
  await page.getByRole('button', { name: 'Add scale down policy' }).click();
  await page.getByRole('textbox', { name: 'Scale down policy 2 value' }).fill('2');
  const b = await autoscalerOf(page);
  assert.equal(b.behavior.scale_down.stabilization_window_s, 60);
  assert.deepEqual(b.behavior.scale_down.policies, [{ kind: 'percent', value: 100, period_s: 15 }, { kind: 'pods', value: 2, period_s: 60 }]);
  assert.deepEqual(b.behavior.scale_up.policies, [{ kind: 'percent', value: 100, period_s: 15 }, { kind: 'pods', value: 4, period_s: 15 }]);

  // the URL follows (debounced): its autoscaler is the simulation's
  await page.waitForFunction(() => {
    const h = decodeURIComponent(location.hash.replace(/^#scenario=/, ''));
    return h && JSON.stringify(JSON.parse(h).autoscaler) === JSON.stringify(window.fleetlab.sim.scenario().autoscaler);
  }, null, { timeout: 3000 });
  const sc = await hashScenario(page);
  assert.deepEqual(sc.autoscaler, b);
  await page.close();

  // the link reproduces the settings and the form
  const again = await open('#scenario=' + encodeURIComponent(JSON.stringify(sc)));
  assert.deepEqual(await autoscalerOf(again), b);
  assert.equal(await kindSelect(again).inputValue(), 'hpa');
  assert.equal(await field(again, 'Target utilization (%)').inputValue(), '60');
  assert.equal(await again.getByRole('checkbox', { name: /Custom behavior/ }).isChecked(), true);
  assert.equal(await again.getByRole('textbox', { name: 'Scale down policy 2 value' }).inputValue(), '2');
  await again.close();
});

test('bad values: an alert next to the control names the field, the last good autoscaler is kept', async () => {
  const page = await open();
  await kindSelect(page).selectOption('hpa');
  await field(page, 'Target utilization (%)').fill('60');
  let good = await autoscalerOf(page);

  const cases = [
    ['Min replicas', '50', null],
    ['Max replicas', '10', ['#err-as-replicas', /autoscaler\.max_replicas: must be at least min_replicas \(50\), got 10/]],
    ['Max replicas', '100', null],
    ['Min replicas', '1', null],
    ['Target utilization (%)', '0', ['#err-as-target', /autoscaler\.target_utilization_pct: must be between 1 and 1000, got 0/]],
    ['Target utilization (%)', 'abc', ['#err-as-target', /autoscaler\.target_utilization_pct: got "abc", which is not a number/]],
    ['Target utilization (%)', '60', null],
    ['Sync period (s)', '0', ['#err-as-sync', /autoscaler\.sync_s: must be between 0\.1 and 3600, got 0/]],
    ['Sync period (s)', '15', null],
    ['Tolerance up', '-1', ['#err-as-tol', /autoscaler\.tolerance\.scale_up: must be between 0 and 10, got -1/]],
    ['Tolerance up', '0.1', null],
  ];
  for (const [name, value, expect] of cases) {
    const input = field(page, name);
    await input.fill(value);
    if (expect) {
      const [errSel, re] = expect;
      const err = page.locator(errSel);
      assert.equal(await err.getAttribute('role'), 'alert');
      assert.match(await err.textContent(), re, `${name} = ${value}`);
      assert.match(await err.textContent(), /Keeping the HPA at target 60 %, \d+–100 replicas, every 15 s\./);
      assert.ok((await input.getAttribute('aria-describedby')).split(/\s+/).includes(errSel.slice(1)));
      assert.deepEqual(await autoscalerOf(page), good, `kept after ${name} = ${value}`);
    } else {
      assert.equal(await page.locator('#pane-autoscaler [aria-invalid=true]').count(), 0, `no error after ${name} = ${value}`);
      good = await autoscalerOf(page);
    }
  }
  // the control the core names is the one marked invalid (min > max names max_replicas)
  await field(page, 'Min replicas').fill('500');
  assert.equal(await field(page, 'Max replicas').getAttribute('aria-invalid'), 'true');
  await field(page, 'Min replicas').fill('1');
  assert.equal(await field(page, 'Max replicas').getAttribute('aria-invalid'), null);

  // a policy's period 0 (autoscaling/v2 requires 1..1800)
  await page.getByRole('checkbox', { name: /Custom behavior/ }).check();
  const withBehavior = await autoscalerOf(page);
  assert.equal(withBehavior.behavior.scale_down.stabilization_window_s, 300, 'Kubernetes’ default behavior, written out');
  const period = page.getByRole('textbox', { name: 'Scale down policy 1 period (s)' });
  await period.fill('0');
  assert.equal(await period.getAttribute('aria-invalid'), 'true');
  assert.match(await page.getByRole('alert').filter({ hasText: 'policies[0].period_s' }).textContent(),
    /autoscaler\.behavior\.scale_down\.policies\[0\]\.period_s: must be between 1 and 1800, got 0/);
  assert.deepEqual(await autoscalerOf(page), withBehavior, 'the behavior with the bad policy was not applied');
  await period.fill('15');
  assert.equal((await autoscalerOf(page)).behavior.scale_down.policies[0].period_s, 15);

  // startup time: bad value refused, good value restarts the run with it
  const startup = field(page, 'Startup time of a new instance (s)');
  await startup.fill('-5');
  await startup.press('Enter');
  assert.match(await page.locator('#err-as-startup').textContent(), /instances\.startup_s: must be between 0 and 3600, got -5/);
  await startup.fill('20');
  await startup.press('Enter');
  await page.waitForFunction(() => window.fleetlab.sim.scenario().instances.startup_s === 20);
  assert.equal((await autoscalerOf(page)).target_utilization_pct, 60, 'the restart keeps the autoscaler');
  await page.close();
});

test('traffic spike preset: the HPA scales up within a minute or two of the spike and says why', async () => {
  const page = await open();
  await page.getByRole('button', { name: 'Traffic spike' }).click();
  await pause(page);
  const sc = await page.evaluate(() => window.fleetlab.sim.scenario());
  assert.equal(sc.autoscaler.kind, 'hpa');
  assert.equal(sc.autoscaler.target_utilization_pct, 60);
  assert.deepEqual(sc.traffic.changes, [{ at_s: 60, rate_rps: 900 }, { at_s: 360, rate_rps: 300 }]);
  assert.equal(sc.traffic.rate_rps, 300);
  assert.match(await page.locator('#as-tip').textContent(), /stabilization window/);

  await advanceTo(page, 150); // 90 s after the spike
  const d = await page.evaluate(() => window.fleetlab.sim.details());
  assert.ok(d.desired > 5, `desired ${d.desired}`);
  const first = page.locator('#as-log li').first();
  assert.match(await first.textContent(), /utilization/);
  assert.match(await page.locator('#as-log li.as-scale').first().textContent(), /^t=\d+ s · \d+ → \d+ instances · utilization \d+% vs target 60%/);

  // during the spike: the chart shows ready climbing to desired, utilisation in the band
  await advanceTo(page, 300);
  await page.waitForFunction(() => document.querySelector('#ch-as .u-legend')?.textContent.includes('300 s'), null, { timeout: 3000 });
  mkdirSync(join(root, 'target/screenshots'), { recursive: true });
  await page.locator('#fig-as').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(root, 'target/screenshots/autoscaler-spike.png') });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(root, 'target/screenshots/autoscaler-tab.png') });

  // after the spike (L back to 300 at t = 360, 5 replicas would do) the 300 s scale-down
  // stabilization window holds the replicas the spike needed ...
  await advanceTo(page, 500);
  const held = await page.evaluate(() => window.fleetlab.sim.details());
  assert.equal(held.offered_rps, 300);
  assert.ok(held.desired >= 12, `held by the scale-down window: ${held.desired}`);
  assert.match(await page.locator('#as-log li').first().textContent(), /→ \d replicas; the 300 s stabilization window keeps the highest recent recommendation, \d\d\b/);
  // ... until the spike's recommendations are 300 s old
  await advanceTo(page, 720);
  assert.ok((await page.evaluate(() => window.fleetlab.sim.details())).desired <= 6);
  await page.close();
});

test('YAML export equals the core hpa_yaml() and is disabled unless the autoscaler is the HPA', async () => {
  const page = await open();
  const btn = page.getByRole('button', { name: 'Export as Kubernetes HPA YAML' });
  assert.equal(await btn.isDisabled(), true);
  assert.equal(await page.locator('#as-export-hint').isVisible(), true);
  await kindSelect(page).selectOption('formula');
  assert.equal(await btn.isDisabled(), true);
  await kindSelect(page).selectOption('hpa');
  await field(page, 'Target utilization (%)').fill('60');
  assert.equal(await btn.isDisabled(), false);
  await btn.click();
  const text = await page.getByRole('textbox', { name: 'HorizontalPodAutoscaler manifest (YAML)' }).inputValue();
  assert.match(text, /apiVersion: autoscaling\/v2/);
  assert.match(text, /kind: HorizontalPodAutoscaler/);
  assert.match(text, /averageUtilization: 60/);
  const expected = await page.evaluate(async () => {
    const m = await import('/pkg/fleetlab.js');
    return m.hpa_yaml(window.fleetlab.sim.scenario().autoscaler, 'web');
  });
  assert.equal(text, expected);
  // follows the settings and the name
  await field(page, 'Max replicas').fill('40');
  await field(page, 'Deployment name').fill('checkout');
  const text2 = await page.locator('#as-yaml').inputValue();
  assert.match(text2, /maxReplicas: 40/);
  assert.match(text2, /name: checkout/);
  await field(page, 'Deployment name').fill('Bad_Name');
  assert.match(await page.locator('#err-as-yaml-name').textContent(), /metadata\.name: must be a DNS label/);
  await field(page, 'Deployment name').fill('web');
  // download: a same-origin blob
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(download.suggestedFilename(), 'web-hpa.yaml');
  assert.match(download.url(), /^blob:http:\/\/127\.0\.0\.1/);
  await page.close();
});

test('the seed’s rule at L = 501, C = 100 runs 6 instances, and the page states its cost at 100 %', async () => {
  const page = await open();
  await page.getByRole('button', { name: 'Seed’s rule at L = 501' }).click();
  await pause(page);
  const a = await autoscalerOf(page);
  assert.equal(a.kind, 'formula');
  assert.equal(a.target_utilization_pct, 100);
  assert.equal(await kindSelect(page).inputValue(), 'formula');
  await advanceTo(page, 16);
  assert.equal((await page.evaluate(() => window.fleetlab.sim.details())).desired, 6);
  assert.match(await page.locator('#as-log li').first().textContent(), /5 → 6 instances · offered L = 501 req\/s, C × 100% = 100 req\/s → ceil\(L \/ 100\) = 6/);
  const cost = page.locator('#as-cost');
  assert.equal(await cost.isVisible(), true);
  assert.match(await cost.textContent(), /≈ 1 on average/);
  assert.match(await cost.textContent(), /Now ρ = L\/\(N·C\) = 0\.8\d/);
  assert.match(await cost.textContent(), /measured p99: \d/);

  // the same by hand: the seed's rule from the select, L typed in
  const p2 = await open();
  await kindSelect(p2).selectOption('formula');
  await pause(p2);
  await p2.getByRole('textbox', { name: 'Load L (requests/s)' }).fill('501');
  await p2.getByRole('textbox', { name: 'Load L (requests/s)' }).press('Enter');
  await p2.evaluate(() => window.fleetlab.sim.advance(16));
  assert.equal((await p2.evaluate(() => window.fleetlab.sim.details())).desired, 6);
  await page.close();
  await p2.close();
});

test('autoscaler pages: no console errors, page errors, failed or foreign requests', () => {
  assert.deepEqual(problems, []);
});
