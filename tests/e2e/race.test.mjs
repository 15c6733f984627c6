// The race of autoscalers on the page, in Chromium: the serving lesson's spike loads from its
// button, HPA, KPA and queue race on the same requests, each row's numbers are the core's
// summary of that variant (checked against a run made here with the same scenario), the
// verdict names the core's winner, the chart has one line per variant, the race's text is in
// Chinese when the page is, and a changed setting marks the results stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageSuite, openPage, shot } from './harness.mjs';

let server, browser;
const problems = [];

pageSuite(problems, (s, b) => { server = s; browser = b; });

async function race(page, runLabel, spikeLabel) {
  await page.getByRole('button', { name: spikeLabel }).click();
  await page.waitForFunction(() => window.fleetlab.sim.scenario().instances.startup_s === 120);
  await page.locator('#race-dur').selectOption('1500');
  await page.getByRole('button', { name: runLabel }).click();
  await page.waitForSelector('#race-sentence', { timeout: 120000 });
}

test('the race: the spike, three autoscalers, the core\'s numbers and verdict, stale after a change', async () => {
  const page = await openPage(browser, `${server.url}#lang=en`, problems);
  await race(page, 'Run the race', "Load the serving lesson's spike");
  const r = await page.evaluate(() => {
    const { result } = window.fleetlab.app.race;
    // the same variant run outside the page's race: its summary must be the row's
    const sc = structuredClone(window.fleetlab.sim.description());
    sc.duration_s = 1500;
    sc.autoscaler = result.settings[1].autoscaler;
    const s = new window.fleetlab.core.fleetlab.Simulation(sc);
    s.run_to_end();
    const kpa = s.summary();
    s.free();
    return { settings: result.settings, kinds: result.kinds, arrived: result.summaries.map((x) => x.requests.arrived), p99: result.summaries.map((x) => x.latency_s.p99), winner: result.verdict.winner, kpa, lines: document.querySelectorAll('.race-line').length, rows: [...document.querySelectorAll('.race-table tbody tr')].map((tr) => tr.dataset.kind) };
  });
  assert.deepEqual(r.kinds, ['hpa', 'kpa', 'queue']);
  // the spike's own KPA settings (a pod serves 4 at once), not Knative's unlimited default
  assert.equal(r.kpa.scenario?.autoscaler?.container_concurrency ?? 4, 4);
  assert.match(await page.locator('.race-table tr[data-kind="kpa"] .race-src').textContent(), /serving lesson's settings/);
  assert.deepEqual(r.rows, r.kinds);
  assert.equal(r.lines, 3);
  assert.ok(r.arrived.every((a) => a === r.arrived[0]), `same requests: ${r.arrived}`);
  // the spike's requests: 4 req/s for 300 s, 40 for 600 s, 4 for 600 s is 27,600 expected
  assert.ok(Math.abs(r.arrived[0] - 27600) < 4 * Math.sqrt(27600), `the spike's arrivals: ${r.arrived[0]}`);
  assert.equal(r.p99[1], r.kpa.latency_s.p99, 'the KPA row is the core\'s run of that variant');
  const sentence = await page.locator('#race-sentence').textContent();
  assert.match(sentence, /wins: it lost the fewest requests/);
  const winner = await page.evaluate((k) => window.fleetlab.i18n.nameOf('autoscaler.kind', k), r.kinds[r.winner]);
  assert.ok(sentence.startsWith(winner), `${sentence} names the winner (${winner})`);
  assert.equal(await page.locator('#race .stale').isVisible(), false);
  await page.locator('.race-chart').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await shot(page, 'page-race-1366-en');
  await page.getByRole('textbox', { name: 'Instances (N)' }).fill('4');
  await page.getByRole('textbox', { name: 'Instances (N)' }).press('Enter');
  await page.waitForSelector('#race .stale:visible');
  await page.context().close();
});

test('the race in Chinese, on a phone', async () => {
  const page = await openPage(browser, `${server.url}#lang=zh-CN`, problems, { width: 390, height: 844 });
  await race(page, '开始赛跑', '载入模型服务课程的突增负载');
  const sentence = await page.locator('#race-sentence').textContent();
  assert.match(sentence, /胜出/);
  const status = await page.locator('#race .cmp-status').textContent();
  assert.match(status, /完成/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px)`);
  await page.locator('.race-chart').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await shot(page, 'page-race-390-zh');
  await page.context().close();
});

test('an exact tie on cost is worded as a tie, not "0 % more"', async () => {
  // 450 req/s on C = 100: the formula keeps ceil(4.5) = 5 instances, and an HPA pinned to
  // 5..5 keeps 5, so both use exactly 5 × 300 instance-seconds and serve the same requests
  const scenario = { traffic: { rate_rps: 450 }, autoscaler: { kind: 'hpa', min_replicas: 5, max_replicas: 5 } };
  const page = await openPage(browser, `${server.url}#lang=en&scenario=${encodeURIComponent(JSON.stringify(scenario))}`, problems);
  await page.evaluate(() => window.fleetlab.app.race.choose(['formula', 'hpa']));
  await page.locator('#race-dur').selectOption('300');
  await page.getByRole('button', { name: 'Run the race' }).click();
  await page.waitForSelector('#race-sentence', { timeout: 120000 });
  const r = await page.evaluate(() => window.fleetlab.app.race.result);
  assert.deepEqual(r.kinds, ['formula', 'hpa']);
  assert.equal(r.summaries[0].instance_seconds, r.summaries[1].instance_seconds, 'the same cost');
  assert.deepEqual(r.verdict.standings.map((s) => s.standing), ['best', 'tied']);
  const cell = await page.locator('.race-table tr[data-kind="hpa"] td[data-metric="standing"]').textContent();
  assert.match(cell, /a tie/);
  assert.doesNotMatch(cell, /0\s?% more/);
  assert.match(await page.locator('#race-sentence').textContent(), /for the same instance-seconds: a tie/);
  await page.context().close();
});
