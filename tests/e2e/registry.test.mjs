// Page tests for the service registry, health and failures (issue 5): the registry settings,
// their validation, the failure presets, the live registry table and the failure counts.
//   node --test tests/e2e/registry.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, root, openPage } from './harness.mjs';

let server;
let browser;
const problems = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Opens the page (optionally with a hash), waits for the simulation, shows the Registry tab. */
async function open(hash = '') {
  const page = await openPage(browser, server.url + hash, problems);
  await page.getByRole('tab', { name: 'Registry & log' }).click();
  return page;
}

const sim = (page, fn, arg) => page.evaluate(({ fn, arg }) => new Function('sim', 'arg', `return (${fn})(sim, arg)`)(window.fleetlab.sim, arg), { fn: fn.toString(), arg });
const openSettings = (page) => page.locator('#reg-settings > summary').click();
const speed = (page, v) => page.locator('#sel-speed').selectOption(String(v));
const row = (page, id) => page.locator(`#reg-table tbody tr[data-id="${id}"]`);
const failedTotal = (page) => sim(page, (s) => s.details().requests.failed);

test('lease TTL: the labelled control sets registry.ttl_s; bad values alert and keep the last good state', async () => {
  const page = await open();
  await openSettings(page);
  const ttl = page.getByRole('textbox', { name: 'Lease TTL' });
  assert.equal(await ttl.inputValue(), '15');
  await ttl.fill('20');
  await ttl.press('Enter');
  assert.equal(await sim(page, (s) => s.scenario().registry.ttl_s), 20);
  assert.equal(await ttl.getAttribute('aria-invalid'), null);

  for (const [bad, re] of [['-1', /registry\.ttl_s: must be between 0\.01 and 36000, got -1/], ['x', /registry\.ttl_s: .*got "x", which is not a number/]]) {
    await ttl.fill(bad);
    await ttl.press('Enter');
    assert.equal(await ttl.getAttribute('aria-invalid'), 'true', `aria-invalid for ${bad}`);
    const alert = page.locator('#err-ttl');
    assert.equal(await alert.getAttribute('role'), 'alert');
    assert.ok((await ttl.getAttribute('aria-describedby')).split(' ').includes('err-ttl'));
    assert.match(await alert.textContent(), re);
    assert.match(await alert.textContent(), /Keeping registry\.ttl_s = 20/);
    assert.equal(await sim(page, (s) => s.scenario().registry.ttl_s), 20);
  }
  // the other settings are plain too: heartbeat, refresh, and checkboxes that merge into the balancer
  const hb = page.getByRole('textbox', { name: 'Heartbeat interval' });
  await hb.fill('2');
  await hb.press('Enter');
  await page.getByRole('checkbox', { name: 'Active health check' }).check();
  await page.getByRole('checkbox', { name: /Client retries/ }).check();
  const sc = await sim(page, (s) => s.scenario());
  assert.deepEqual(sc.registry, { heartbeat_s: 2, ttl_s: 20, refresh_s: 0, self_preservation_threshold: 0 });
  assert.deepEqual(sc.balancer.health_check, { interval_s: 5, unhealthy_threshold: 2, healthy_threshold: 2 });
  assert.equal(sc.balancer.retries, 1);
  assert.equal(sc.balancer.algorithm, 'round_robin');
  // the settings reach the URL
  await page.waitForFunction(() => /"ttl_s":20/.test(decodeURIComponent(location.hash)), null, { timeout: 3000 });
  await page.close();
});

test('crash: the table shows it crashed, then evicted; failures stop once it leaves the view', async () => {
  const page = await open();
  await page.getByLabel('Load L (requests/s)', { exact: true }).fill('400');
  await page.getByLabel('Load L (requests/s)', { exact: true }).press('Enter');
  await speed(page, 5);
  await page.getByRole('button', { name: 'Crash one instance' }).click();
  const t0 = await sim(page, (s) => s.now_s);
  await page.waitForFunction(() => document.querySelector('#reg-table tr[data-id="2"]')?.cells[1].textContent.startsWith('crashed'), null, { timeout: 3000 });
  assert.ok((await sim(page, (s) => s.now_s)) - t0 < 5, 'shown within a few simulated seconds');
  assert.match(await row(page, 2).textContent(), /in view|yes/);

  // while it is still listed: failures grow, the estimate says why; screenshot of the crash
  await page.waitForFunction(() => Number(document.querySelector('#reg-table tr[data-id="2"]')?.cells[6].textContent.replace(/,/g, '')) > 300, null, { timeout: 5000 });
  assert.match(await page.locator('#reg-estimate').textContent(), /#2 crashed: [\d,]+ requests failed so far\. Still in view/);
  mkdirSync(join(root, 'target/screenshots'), { recursive: true });
  await page.screenshot({ path: join(root, 'target/screenshots/registry-crash.png') });
  const cellFailed = Number((await row(page, 2).locator('td').last().textContent()).replace(/,/g, ''));
  assert.ok(cellFailed > 0, `failed in the table: ${cellFailed}`);

  // after the TTL: evicted, out of the balancer's view
  await page.waitForFunction(() => /evicted/.test(document.querySelector('#reg-table tr[data-id="2"]')?.cells[2].textContent), null, { timeout: 8000 });
  await page.waitForFunction(() => document.querySelector('#reg-table tr[data-id="2"]')?.cells[5].textContent.startsWith('no'), null, { timeout: 3000 });
  const f1 = await failedTotal(page);
  assert.ok(f1 > 0);
  await page.waitForTimeout(1500); // ~7 simulated seconds
  assert.equal(await failedTotal(page), f1, 'failures stop growing once evicted');
  // the event log shows it, with time and instance; the fault marker data is there
  assert.match(await page.locator('#event-log').textContent(), /#2\s+evicted/);
  assert.match(await page.locator('#event-log').textContent(), /#2\s+crash/);
  // filter: hide registry events
  await page.getByRole('checkbox', { name: 'registry' }).uncheck();
  assert.equal(await page.locator('#event-log li.k-evicted').first().isVisible(), false);
  assert.equal(await page.locator('#event-log li.k-crash').first().isVisible(), true);
  await page.close();
});

test('partition: the instance is evicted while still ready and serving', async () => {
  const page = await open();
  await speed(page, 10);
  await page.getByRole('button', { name: 'Network partition' }).click();
  await page.waitForFunction(() => {
    const r = document.querySelector('#reg-table tr[data-id="1"]');
    return r && /evicted/.test(r.cells[2].textContent) && /^ready/.test(r.cells[1].textContent);
  }, null, { timeout: 8000 });
  assert.match(await row(page, 1).locator('td').first().textContent(), /ready · partitioned/);
  assert.equal(await failedTotal(page), 0);
  await page.close();
});

test('outlier detection: failures after a crash stay small', async () => {
  const page = await open();
  await page.getByLabel('Load L (requests/s)', { exact: true }).fill('400');
  await page.getByLabel('Load L (requests/s)', { exact: true }).press('Enter');
  await openSettings(page);
  await page.getByRole('checkbox', { name: 'Outlier detection' }).check();
  assert.equal(await sim(page, (s) => s.scenario().balancer.outlier_detection?.consecutive_failures), 5);
  await speed(page, 10);
  await page.getByRole('button', { name: 'Crash one instance' }).click();
  const t0 = await sim(page, (s) => s.now_s);
  await page.waitForFunction((t) => window.fleetlab.sim.now_s > t + 20, t0, { timeout: 8000 });
  const failed = await failedTotal(page);
  assert.ok(failed > 0 && failed < 100, `failed with outlier detection: ${failed}`);
  assert.match(await row(page, 2).locator('td').first().textContent(), /crashed · .*ejected/);
  await page.close();
});

test('Eureka self-preservation keeps the dead instance listed; Recover all restarts it', async () => {
  const page = await open();
  await speed(page, 10);
  await page.getByRole('button', { name: 'Eureka self-preservation' }).click();
  assert.equal(await sim(page, (s) => s.scenario().registry.self_preservation_threshold), 0.85);
  await page.waitForFunction(() => /#2\s+preserved/.test(document.querySelector('#event-log').textContent), null, { timeout: 8000 });
  assert.equal(await sim(page, (s) => s.details().self_preserving), true);
  assert.match(await page.locator('#reg-traffic').textContent(), /Self-preservation is ACTIVE/);
  assert.doesNotMatch(await row(page, 2).locator('td').nth(1).textContent(), /evicted/);
  await page.getByRole('button', { name: 'Recover all' }).click();
  await page.waitForFunction(() => document.querySelector('#reg-table tr[data-id="2"]')?.cells[1].textContent.startsWith('ready'), null, { timeout: 3000 });
  await page.close();
});

test('registry: no console errors or page errors', () => {
  assert.deepEqual(problems, []);
});
