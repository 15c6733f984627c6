// Page tests for load balancing: the algorithm picker and its options, request keys set live,
// the key-ownership view, per-instance weight and speed in the inspector, and the A/B
// comparison. Run from the repository root: node --test tests/e2e/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, root, openPage } from './harness.mjs';

let server;
let browser;
let base;
const problems = [];
const shots = join(root, 'target/screenshots');

before(async () => {
  server = await startServer();
  base = server.url;
  browser = await launchBrowser();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function open(scenario) {
  const hash = scenario ? `#scenario=${encodeURIComponent(JSON.stringify(scenario))}` : '';
  return openPage(browser, base + hash, problems);
}

const algo = (page) => page.getByRole('combobox', { name: 'Algorithm', exact: true });
const scenario = (page) => page.evaluate(() => window.fleetlab.sim.scenario());
const hashScenario = (page) => page.evaluate(() => JSON.parse(decodeURIComponent(location.hash.replace(/^#scenario=/, '')) || '{}'));

test('the algorithm picker sets the live balancer, explains it and keeps the URL in step', async () => {
  const page = await open();
  await algo(page).selectOption('power_of_two');
  assert.equal((await scenario(page)).balancer.algorithm, 'power_of_two');
  assert.match(await page.locator('#algo-note').textContent(), /Envoy least_request.*Mitzenmacher/);
  await page.waitForFunction(() => /power_of_two/.test(decodeURIComponent(location.hash)), null, { timeout: 3000 });
  assert.equal((await hashScenario(page)).balancer.algorithm, 'power_of_two');

  // only the relevant options show: choice_count and the load delay for power of two
  assert.equal(await page.getByRole('textbox', { name: 'Choices per request' }).isVisible(), true);
  assert.equal(await page.getByRole('textbox', { name: 'Load info delay (s)' }).isVisible(), true);
  assert.equal(await page.getByRole('textbox', { name: 'Lookup table size' }).isVisible(), false);
  assert.equal(await page.getByRole('textbox', { name: 'Request keys' }).isVisible(), false);

  // a bad option: the setter's message next to the field, the balancer keeps its last good value
  const choice = page.getByRole('textbox', { name: 'Choices per request' });
  await choice.fill('1');
  await choice.press('Enter');
  assert.equal(await choice.getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#err-choice').textContent(), /balancer\.choice_count: must be between 2 and 100, got 1.*Keeping choice_count = 2/);
  await choice.fill('2.5');
  await choice.press('Enter');
  assert.match(await page.locator('#err-choice').textContent(), /balancer\.choice_count: must be a whole number/);
  await choice.fill('3');
  await choice.press('Enter');
  assert.equal(await choice.getAttribute('aria-invalid'), null);
  assert.equal((await scenario(page)).balancer.choice_count, 3);

  // stale load info: the herding example
  await page.getByRole('button', { name: 'stale load info (herding)' }).click();
  const b = (await scenario(page)).balancer;
  assert.equal(b.algorithm, 'least_connections');
  assert.equal(b.load_delay_s, 1);
  assert.match(await page.locator('#bal-note').textContent(), /Herding/);
  const delay = page.getByRole('textbox', { name: 'Load info delay (s)' });
  await delay.fill('-1');
  await delay.press('Enter');
  assert.match(await page.locator('#err-delay').textContent(), /balancer\.load_delay_s: must be between 0 and 3600, got -1/);
  assert.equal((await scenario(page)).balancer.load_delay_s, 1);
  await page.close();
});

test('hash balancers: keys are added live, the key view shows who owns which key and how many moved', async () => {
  const page = await open();
  await page.waitForFunction(() => window.fleetlab.sim.now_s > 1, null, { timeout: 5000 });
  const before = await page.evaluate(() => window.fleetlab.sim.now_s);
  await algo(page).selectOption('maglev');
  const sc = await scenario(page);
  assert.equal(sc.balancer.algorithm, 'maglev');
  assert.equal(sc.traffic.keys, 1000);
  const after = await page.evaluate(() => window.fleetlab.sim.now_s);
  assert.ok(after >= before, `the run continued: now_s ${before} -> ${after}`);
  assert.match(await page.locator('#bal-note').textContent(), /the run continues/);
  assert.equal(await page.locator('#key-view').isVisible(), true);
  assert.equal(await page.getByRole('textbox', { name: 'Lookup table size' }).isVisible(), true);
  await page.waitForFunction(() => /instances in view/.test(document.querySelector('#key-moved').textContent), null, { timeout: 3000 });

  // N 5 -> 6: about 1/6 of the keys move, far from mod-N's 5/6
  await page.getByRole('textbox', { name: 'Instances (N)' }).fill('6');
  await page.getByRole('textbox', { name: 'Instances (N)' }).press('Enter');
  await page.waitForFunction(() => document.querySelector('#key-moved').dataset.moved, null, { timeout: 3000 });
  const moved = Number(await page.locator('#key-moved').getAttribute('data-moved'));
  assert.ok(moved > 0.10 && moved < 0.25, `moved fraction ${moved}`);
  const text = await page.locator('#key-moved').textContent();
  assert.match(text, /5 → 6 instances: Maglev moved \d+\.\d% of keys/);
  assert.match(text, /1\/6 = 16\.7%/);
  assert.match(text, /mod N would move 83\.3%/);
  await page.waitForTimeout(400); // mid-tween
  await page.screenshot({ path: join(shots, 'balancing-keys.png') });
  await page.waitForTimeout(900);
  await page.locator('#pane-balancer').screenshot({ path: join(shots, 'balancing-keys-pane.png') });

  // keys are validated by set_keys; the last good value stays
  const keys = page.getByRole('textbox', { name: 'Request keys' });
  await keys.fill('0');
  await keys.press('Enter');
  assert.equal(await keys.getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#err-keys').textContent(), /traffic\.keys: balancer maglev routes by key/);
  assert.equal((await scenario(page)).traffic.keys, 1000);
  // Maglev needs a prime table
  const table = page.getByRole('textbox', { name: 'Lookup table size' });
  await table.fill('100');
  await table.press('Enter');
  assert.match(await page.locator('#err-table').textContent(), /balancer\.table_size: must be a prime number/);
  assert.equal((await scenario(page)).balancer.table_size, 65537);
  // Zipf keys: the exponent field appears
  await page.getByRole('combobox', { name: 'Key popularity' }).selectOption('zipf');
  assert.equal((await scenario(page)).traffic.key_distribution, 'zipf');
  assert.equal(await page.getByRole('textbox', { name: 'Zipf exponent s' }).isVisible(), true);
  await page.waitForFunction(() => /maglev/.test(decodeURIComponent(location.hash)) && /zipf/.test(decodeURIComponent(location.hash)), null, { timeout: 3000 });
  await page.close();
});

test('the inspector edits weight and speed through set_instance, with alerts for bad values', async () => {
  const page = await open({ balancer: { algorithm: 'weighted_round_robin' } });
  await page.locator('#fleet').focus();
  await page.keyboard.press('ArrowRight'); // selects the first instance, #0
  await page.waitForFunction(() => !document.querySelector('#inspector').hidden);
  const weight = page.getByRole('textbox', { name: 'Weight' });
  const speed = page.getByRole('textbox', { name: 'Speed ×' });
  assert.equal(await weight.inputValue(), '1');
  await weight.fill('3');
  await weight.press('Enter');
  assert.deepEqual((await scenario(page)).instances.overrides, [{ instance: 0, weight: 3, speed: 1 }]);
  for (const [value, re] of [['0', /weight: must be between 1 and 1000, got 0/], ['x', /weight: .*"x", which is not a number/], ['1.5', /weight: must be a whole number/]]) {
    await weight.fill(value);
    await weight.press('Enter');
    assert.equal(await weight.getAttribute('aria-invalid'), 'true');
    const alert = page.getByRole('alert').filter({ hasText: 'weight:' });
    assert.equal(await alert.count(), 1);
    assert.match(await alert.textContent(), re);
    assert.match(await alert.textContent(), /Keeping weight 3 for #0/);
  }
  assert.deepEqual((await scenario(page)).instances.overrides, [{ instance: 0, weight: 3, speed: 1 }]);
  await weight.fill('3');
  await weight.press('Enter');
  await speed.fill('0');
  await speed.press('Enter');
  assert.match(await page.locator('#err-speed').textContent(), /speed: must be between 0\.01 and 100, got 0/);
  await speed.fill('0.5');
  await speed.press('Enter');
  assert.deepEqual((await scenario(page)).instances.overrides, [{ instance: 0, weight: 3, speed: 0.5 }]);
  await page.waitForFunction(() => /overrides/.test(decodeURIComponent(location.hash)), null, { timeout: 3000 });

  // the example: round robin on uneven servers
  await algo(page).selectOption('round_robin');
  await page.getByRole('button', { name: 'make #4 half speed' }).click();
  const ov = (await scenario(page)).instances.overrides;
  assert.ok(ov.some((o) => o.instance === 4 && o.speed === 0.5), JSON.stringify(ov));
  assert.match(await page.locator('#bal-note').textContent(), /Round robin still sends #[04] about L\/N/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(shots, 'balancing-inspector.png') });
  await page.close();
});

test('comparison: round robin vs least connections on N = 5, L = 450, C = 100', async () => {
  const page = await open({ traffic: { rate_rps: 450 } });
  await page.getByRole('button', { name: 'compare two balancers ↓' }).click();
  await page.getByRole('combobox', { name: 'Balancer A' }).selectOption('round_robin');
  await page.getByRole('combobox', { name: 'Balancer B' }).selectOption('least_connections');
  await page.getByRole('button', { name: 'Run comparison' }).click();
  await page.waitForSelector('#cmp-results:not([hidden])', { timeout: 30000 });
  const cols = page.locator('.cmp-col');
  assert.equal(await cols.count(), 2);
  const [a, b] = await cols.evaluateAll((els) => els.map((e) => ({ algo: e.dataset.algorithm, mean: Number(e.dataset.meanS) })));
  assert.equal(a.algo, 'round_robin');
  assert.equal(b.algo, 'least_connections');
  assert.ok(b.mean < a.mean, `least connections ${b.mean} < round robin ${a.mean}`);
  assert.match(await page.locator('#cmp-col-a').textContent(), /round robin.*mean/);
  assert.match(await page.locator('#cmp-sentence').textContent(), /same [\d,]+ requests.*Least connections wins/);
  // the sims were freed; the live run is untouched
  assert.equal((await scenario(page)).balancer.algorithm, 'round_robin');
  await page.locator('#compare').scrollIntoViewIfNeeded();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, 'balancing-compare.png') });
  await page.locator('#compare').screenshot({ path: join(shots, 'balancing-compare-section.png') });
  await page.close();
});

test('balancing pages: no console errors, page errors, failed or foreign requests', () => {
  assert.deepEqual(problems, []);
});
