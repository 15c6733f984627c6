// The page's main flows in Chromium, as a person uses them: the first screen frames the
// article's example as a lesson; the main controls by name and keyboard; Try chips and Reset
// start from known scenarios; Step, the time slider and "pause when…"; a link keeps the whole
// view (clicked faults, speed, tab, comparison, the moment); the comparison's verdict and its
// staleness; exports. Screenshots go to target/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pageSuite, openPage, shot, paused, summaryOf } from './harness.mjs';

let server, browser;
const problems = [];

pageSuite(problems, (s, b) => { server = s; browser = b; });

const scenario = (page) => page.evaluate(() => window.fleetlab.sim.scenario());
const hash = (page) => page.evaluate(() => location.hash);

test('the first screen: the article\'s example as a lesson, a calm header, Start here', async () => {
  const page = await openPage(browser, `${server.url}#lang=en`, problems);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  for (const name of ['Lessons', 'Reset', 'Step']) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, name);
  assert.equal(await page.getByRole('combobox', { name: 'Language / 语言', exact: true }).count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Start here', exact: true }).count(), 1);
  const headline = await page.locator('.headline').textContent();
  assert.match(headline, /article's worked example/);
  assert.match(headline, /ρ = L\/\(N·C\) = 1/);
  // developer telemetry only behind "Details"
  assert.equal(await page.locator('.telemetry').isVisible(), false);
  await page.getByRole('button', { name: 'Details' }).click();
  assert.match(await page.locator('.telemetry').textContent(), /events/);
  await page.getByRole('button', { name: 'Details' }).click();
  // the random seed is called so, and the source "the article"
  await page.getByRole('tab', { name: 'Serving' }).click();
  await page.locator('details.settings[data-settings="serving"] > summary').click();
  assert.equal(await page.getByLabel('Random seed', { exact: true }).count(), 1);
  await page.getByRole('tab', { name: 'Autoscaling' }).click();
  assert.match(await page.locator('#sel-kind').textContent(), /the article's rule/);
  assert.doesNotMatch(await page.locator('body').textContent(), /\bseed's\b/i);
  // the header is one row
  const header = await page.locator('header.top').boundingBox();
  assert.ok(header.height < 70, `header height ${header.height}`);
  await shot(page, 'page-first-1366-en');
  await page.context().close();
});

test('N, L and C by name and keyboard: every arrow press moves the value', async () => {
  const page = await openPage(browser, `${server.url}#lang=en`, problems);
  const n = page.getByRole('textbox', { name: 'Instances (N)' });
  await n.fill('12');
  await n.press('Enter');
  await page.waitForFunction(() => document.getElementById('fleet').dataset.instancesDrawn === '12');
  for (const [label, path] of [['Instances (N), slider', ['instances', 'count']], ['Load L (requests/s), slider', ['traffic', 'rate_rps']], ['Capacity C (requests/s per instance), slider', ['instances', 'capacity_rps']]]) {
    const slider = page.getByRole('slider', { name: label });
    const get = async () => { const s = await scenario(page); return s[path[0]][path[1]]; };
    const seen = [await get()];
    await slider.focus();
    for (let i = 0; i < 5; i++) { await page.keyboard.press('ArrowRight'); seen.push(await get()); }
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `${label} ArrowRight: ${seen}`);
    await page.keyboard.press('ArrowLeft');
    assert.ok(await get() < seen[seen.length - 1], `${label} ArrowLeft`);
    await page.keyboard.press('Home');
    assert.equal(await get(), 1, `${label} Home`);
  }
  // Home/End on the tab list
  await page.getByRole('tab', { name: 'Serving' }).focus();
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-autoscaler');
  await page.keyboard.press('Home');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-serving');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-autoscaler');
  await page.context().close();
});

test('a Try chip starts from the default scenario plus its own change; Reset clears every leftover', async () => {
  const page = await openPage(browser, `${server.url}#lang=en`, problems);
  // leftovers: a crash by click, a speed, a tab, a comparison
  await page.evaluate(() => window.fleetlab.sim.fault(0, 'crash', 1));
  await page.locator('#speed').selectOption('5');
  await page.getByRole('tab', { name: 'Load balancing' }).click();
  await page.getByRole('button', { name: 'make #4 half speed' }).click();
  let sc = await page.evaluate(() => window.fleetlab.sim.description());
  assert.deepEqual(sc.faults ?? [], [], 'the click\'s crash is gone');
  assert.deepEqual(sc.instances.overrides, [{ instance: 4, weight: 1, speed: 0.5 }]);
  assert.match(await page.locator('.conditions').textContent(), /#4 runs at 50% speed/);
  assert.ok(await page.locator('#stage').isVisible());
  assert.equal(await page.locator('.feature-slot #chart-latency').count(), 1, 'the latency chart is beside the fleet');
  await shot(page, 'page-try-halfspeed-1366-en');
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  sc = await page.evaluate(() => window.fleetlab.sim.description());
  const defaults = await page.evaluate(() => window.fleetlab.app.constructor && JSON.stringify(window.fleetlab.sim.description()));
  assert.deepEqual(sc.instances.overrides, []);
  assert.deepEqual(sc.faults ?? [], []);
  assert.deepEqual(sc.edits ?? [], []);
  assert.equal(await page.locator('#speed').inputValue(), '1');
  assert.equal(await page.getByRole('tab', { name: 'Serving' }).getAttribute('aria-selected'), 'true');
  assert.ok(defaults);
  await page.context().close();
});

test('Step by event, second and autoscaler sync; the time slider rewinds exactly; pause when a lease expires', async () => {
  const page = await openPage(browser, `${server.url}#lang=en&scenario=${encodeURIComponent(JSON.stringify({ autoscaler: { kind: 'hpa' }, faults: [{ at_s: 3, kind: 'crash', instance: 1 }] }))}`, problems);
  await page.getByRole('button', { name: 'Pause' }).click();
  const t0 = await paused(page);
  const ev0 = await page.evaluate(() => window.fleetlab.sim.events_processed);
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  assert.equal(await page.evaluate(() => window.fleetlab.sim.events_processed), ev0 + 1, 'one event');
  await page.getByRole('combobox', { name: 'Step by' }).selectOption('second');
  const t1 = await page.evaluate(() => window.fleetlab.sim.now_s);
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  const t2 = await page.evaluate(() => window.fleetlab.sim.now_s);
  assert.ok(Math.abs(t2 - t1 - 1) < 1e-6, `one second: ${t1} → ${t2}`);
  // the first second has ended: its throughput is on screen
  await page.waitForFunction(() => /\d req\/s/.test(document.querySelector('output[data-value="timeline.throughput_rps"]').textContent));
  await page.getByRole('combobox', { name: 'Step by' }).selectOption('sync');
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  const t3 = await page.evaluate(() => window.fleetlab.sim.now_s);
  assert.equal(t3 % 15, 0, `to the next sync: ${t3}`);
  assert.match(await page.locator('#autoscaler-decisions, .decisions').first().textContent(), /utilization/);
  // remember this moment, run on, rewind to it: the same numbers and log (a moment is a time:
  // the rewind also runs the rest of that instant, so only the event count may differ)
  const numbers = async () => { const s = JSON.parse(await summaryOf(page)); delete s.events_processed; return s; };
  const here = await numbers();
  const logHere = await page.evaluate(() => window.fleetlab.sim.log_since(0).length);
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction((t) => window.fleetlab.sim.now_s > t + 5, t3);
  await page.getByRole('button', { name: 'Pause' }).click();
  await paused(page);
  await page.evaluate((t) => window.fleetlab.app.seek(t), t3);
  assert.equal(await paused(page), t3);
  assert.deepEqual(await numbers(), here, 'the rewound run is the run as it was');
  assert.equal(await page.evaluate(() => window.fleetlab.sim.log_since(0).length), logHere);
  assert.equal(await page.locator('.event-log li').count(), logHere, 'the event list shows the log as it was');
  // keyboard on the time slider
  await page.getByRole('slider', { name: 'Simulated time' }).focus();
  await page.keyboard.press('ArrowLeft');
  assert.equal(await paused(page), t3 - 1);
  // pause when a lease expires: the crash at t = 3 s, evicted 15 s after the last heartbeat
  await page.evaluate(() => window.fleetlab.app.seek(0));
  await paused(page);
  // before the first second ends no second is measured: a dash, as for p99, not "0 req/s"
  await page.waitForFunction(() => document.querySelector('output[data-value="timeline.throughput_rps"]').textContent === '—');
  assert.equal(await page.locator('output[data-value="timeline.p99_s"]').textContent(), '—');
  await page.locator('.pause-when summary').click();
  await page.getByLabel('a lease expires (evicted)').check();
  await page.getByRole('button', { name: 'Play' }).click();
  const at = await paused(page);
  const last = await page.evaluate(() => window.fleetlab.sim.log_since(0).filter((e) => e.kind === 'evicted'));
  assert.equal(last.length, 1);
  assert.equal(at, last[0].t_s, 'the clock stopped at the eviction');
  assert.match(await page.locator('.time-status').textContent(), /Paused at t = .*#1 lease expired/);
  assert.equal(await page.locator('#inspector').isVisible(), true, 'the evicted instance is shown');
  await shot(page, 'page-paused-at-eviction-1366-en');
  assert.ok(t0 > 0);
  await page.context().close();
});

test('a link keeps the whole view: clicked faults, edits, speed, tab, comparison, the moment', async () => {
  const page = await openPage(browser, `${server.url}#lang=en`, problems);
  await page.getByRole('textbox', { name: 'Instances (N)' }).fill('6');
  await page.getByRole('textbox', { name: 'Instances (N)' }).press('Enter');
  await page.waitForFunction(() => window.fleetlab.sim.now_s > 2);
  await page.locator('#fleet').focus();
  await page.keyboard.press('ArrowRight');
  await page.getByRole('button', { name: 'Crash' }).click();
  await page.locator('#speed').selectOption('5');
  await page.getByRole('tab', { name: 'Registry' }).click();
  await page.locator('#cmp-a').selectOption('random');
  await page.locator('#cmp-b').selectOption('peak_ewma');
  await page.locator('#cmp-dur').selectOption('60');
  await page.waitForFunction(() => window.fleetlab.sim.now_s > 6);
  await page.getByRole('button', { name: 'Pause' }).click();
  const t = await paused(page);
  await page.waitForTimeout(400);
  const url = `${server.url}${await hash(page)}`;
  assert.match(url, /scenario=.*&speed=5&tab=registry&t=[\d.]+&compare=random,peak_ewma,60/);
  const want = await summaryOf(page);
  const desc = await page.evaluate(() => JSON.stringify(window.fleetlab.sim.description()));
  await page.context().close();
  const again = await openPage(browser, url, problems);
  assert.equal(await paused(again), Math.round(t * 1000) / 1000);
  assert.equal(await again.evaluate(() => JSON.stringify(window.fleetlab.sim.description())), desc, 'the same run, clicks included');
  if (Math.round(t * 1000) / 1000 === t) assert.equal(await summaryOf(again), want, 'at the same moment, the same numbers');
  assert.equal(await again.locator('#speed').inputValue(), '5');
  assert.equal(await again.getByRole('tab', { name: 'Registry' }).getAttribute('aria-selected'), 'true');
  assert.equal(await again.locator('#cmp-a').inputValue(), 'random');
  assert.equal(await again.locator('#cmp-b').inputValue(), 'peak_ewma');
  assert.equal(await again.locator('#cmp-dur').inputValue(), '60');
  await again.context().close();
  // a broken link says so in words and shows the default
  const bad = await openPage(browser, `${server.url}#lang=en&scenario=${encodeURIComponent('{"instances":{"count":-3}}')}`, problems);
  assert.match(await bad.locator('.banner-error').textContent(), /Instances \(N\) must be a whole number from \d+ to 100,000.*default scenario/);
  await bad.context().close();
});

test('the comparison weighs loss, p99 and mean, and marks stale results', async () => {
  const page = await openPage(browser, `${server.url}#lang=en&scenario=${encodeURIComponent(JSON.stringify({ traffic: { rate_rps: 480 } }))}`, problems);
  await page.locator('#cmp-a').selectOption('round_robin');
  await page.locator('#cmp-b').selectOption('least_connections');
  await page.locator('#cmp-dur').selectOption('60');
  await page.getByRole('button', { name: 'Run the comparison' }).click();
  await page.waitForSelector('#cmp-sentence', { timeout: 60000 });
  const sentence = await page.locator('#cmp-sentence').textContent();
  assert.match(sentence, /Mean .* p99 .* lost/, sentence);
  const v = await page.evaluate(() => window.fleetlab.app.compare.result.ranking);
  if (v.outcome === 'winner' && v.winners[0] === 1) assert.match(sentence, /least connections.* did better than round robin/);
  else if (v.outcome === 'trade_off') assert.match(sentence, /trade-off/);
  assert.equal(await page.locator('.stale').isVisible(), false);
  await shot(page, 'page-compare-1366-en');
  await page.getByRole('textbox', { name: 'Instances (N)' }).fill('20');
  await page.getByRole('textbox', { name: 'Instances (N)' }).press('Enter');
  await page.waitForSelector('.stale:visible');
  await page.context().close();
});

test('exports: timeline CSV, summary JSON, chart and fleet PNG, HPA YAML in the page\'s language', async () => {
  const page = await openPage(browser, `${server.url}#lang=zh-CN&scenario=${encodeURIComponent(JSON.stringify({ autoscaler: { kind: 'hpa', tolerance: { scale_up: 0.2 } } }))}`, problems);
  await page.waitForFunction(() => window.fleetlab.sim.timeline().t_s.length >= 2);
  const grab = async (locator) => {
    const [d] = await Promise.all([page.waitForEvent('download'), locator.click()]);
    return { name: d.suggestedFilename(), body: readFileSync(await d.path()) };
  };
  const csv = await grab(page.locator('#btn-csv'));
  assert.match(csv.name, /\.csv$/);
  const lines = csv.body.toString().trim().split('\n');
  assert.match(lines[0], /^t_s,offered_rps,/);
  assert.ok(lines.length >= 3);
  const json = await grab(page.locator('#btn-json'));
  assert.ok(JSON.parse(json.body.toString()).requests.arrived > 0);
  const png = await grab(page.locator('#chart-latency button.png'));
  assert.equal(png.body.subarray(1, 4).toString(), 'PNG');
  const fleet = await grab(page.getByRole('button', { name: '把图保存为 PNG' }));
  assert.equal(fleet.body.subarray(1, 4).toString(), 'PNG');
  await page.getByRole('tab', { name: '弹性伸缩' }).click();
  await page.getByRole('button', { name: '导出为 Kubernetes HPA YAML' }).click();
  const yaml = await page.locator('#yaml-text').inputValue();
  assert.match(yaml, /^# 由 fleetlab 导出。/);
  assert.match(yaml, /# 需要开启 HPAConfigurableTolerance 特性门控/);
  assert.doesNotMatch(yaml, /# .*(Exported|Needs the)/);
  assert.match(yaml, /kind: HorizontalPodAutoscaler/);
  await page.locator('#yaml-name').fill('Bad Name!');
  assert.match(await page.locator('#yaml-name-err').textContent(), /Deployment 名称/);
  await page.context().close();
});
