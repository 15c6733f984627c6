// "Why this replica?" for a clicked request and one replica's history, in Chromium: the
// prefix-heavy serving example with endpoint_picker (and cache_aware), run, paused; the
// recent picks listed from the core's pick_history(); an older pick chosen by click and by
// keyboard shows exactly the core's pick_scores(n); the list holds still while paused and
// follows the core after a rewind; a chosen pick that fell out of the kept window says so;
// the selected replica's chart holds replica_history(id). Screenshots in both languages at
// 390×844 and 1366×800 go to target/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pageSuite, root, openPage, shot, paused } from './harness.mjs';

let server, browser;
const problems = [];

pageSuite(problems, (s, b) => { server = s; browser = b; });

const example = JSON.parse(readFileSync(join(root, 'examples/serving/prefix-heavy.json'), 'utf8'));
const withBalancer = (algorithm) => ({ ...example, balancer: { algorithm } });
const url = (sc, extra = '') => `${server.url}#scenario=${encodeURIComponent(JSON.stringify(sc))}${extra}`;

/** The chosen pick's table as text, row by row. */
const tableRows = (page) => page.locator('#sv-why table.sv-scores tbody tr').evaluateAll((trs) => trs.map((tr) => ({
  instance: Number(tr.dataset.instance), win: tr.classList.contains('win'),
  cells: [...tr.children].map((c) => c.textContent.trim()),
})));

/** The list of picks (request numbers, newest first) and which is pressed. */
const listed = (page) => page.locator('.sv-pick-list button.sv-pick').evaluateAll((bs) => bs.map((b) => [Number(b.dataset.request), b.getAttribute('aria-pressed') === 'true', b.textContent]));

/** The table the page should show for pick `p`, worded by the page's own formatter. */
function expectRows(page, request) {
  return page.evaluate((n) => {
    const p = window.fleetlab.sim.pick_scores(n);
    return { winner: p.winner, instances: p.endpoints.map((e) => e.instance), totals: p.endpoints.map((e) => e.total ?? null), kv: p.endpoints.map((e) => e.kv_use), waiting: p.endpoints.map((e) => e.waiting) };
  }, request);
}

/** Waits until the list shows the core's kept picks (the page reads them four times a second). */
const synced = (page) => page.waitForFunction(() => {
  const core = [...new Set(window.fleetlab.sim.pick_history().map((p) => p.request))].reverse().join();
  const shown = [...document.querySelectorAll('.sv-pick-list button.sv-pick')].map((b) => b.dataset.request).join();
  return core.length > 0 && core === shown;
}, null, { timeout: 10000 });

async function runAndPause(page, s) {
  await page.waitForFunction((t) => window.fleetlab.sim.now_s >= t, s, { timeout: 30000 });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const now = await paused(page);
  await synced(page);
  return now;
}

test('endpoint_picker: choose an older pick by click and keyboard; it equals pick_scores(n); paused lists hold still; back to following', async () => {
  const page = await openPage(browser, url(withBalancer('endpoint_picker'), '&lang=en'), problems);
  await runAndPause(page, 5);
  const history = await page.evaluate(() => window.fleetlab.sim.pick_history().map((p) => p.request));
  assert.ok(history.length >= 8, `picks kept: ${history.length}`);
  const rows = await listed(page);
  assert.deepEqual(rows.map((r) => r[0]), [...new Set(history)].reverse(), 'the list is the core\'s picks, newest first');
  assert.deepEqual(rows.filter((r) => r[1]).map((r) => r[0]), [rows[0][0]], 'following: the latest is shown');
  const latestTable = await tableRows(page);

  // paused: the list and the table hold still
  await page.waitForTimeout(800);
  assert.deepEqual(await listed(page), rows);
  assert.deepEqual(await tableRows(page), latestTable);

  // click an older pick whose table differs from the latest's
  let older = null;
  for (const [n] of rows.slice(1)) {
    const e = await expectRows(page, n);
    const l = await expectRows(page, rows[0][0]);
    if (JSON.stringify(e) !== JSON.stringify(l)) { older = n; break; }
  }
  assert.ok(older != null, 'an older pick with different numbers');
  await page.locator(`.sv-pick-list button[data-request="${older}"]`).click();
  const want = await expectRows(page, older);
  const got = await tableRows(page);
  assert.deepEqual(got.map((r) => r.instance), want.instances, 'the core\'s endpoints, in its order');
  assert.deepEqual(got.filter((r) => r.win).map((r) => r.instance), [want.winner], 'the winner highlighted');
  const fmtd = await page.evaluate((w) => {
    const nf = (x) => new Intl.NumberFormat('en', { maximumFractionDigits: Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2 }).format(x);
    return { totals: w.totals.map(nf), waiting: w.waiting.map((x) => new Intl.NumberFormat('en').format(x)) };
  }, want);
  const head = await page.locator('#sv-why table.sv-scores thead th').allTextContents();
  const col = (name) => head.indexOf(name);
  assert.deepEqual(got.map((r) => r.cells[col('total')]), fmtd.totals, 'totals as the core gave them');
  assert.deepEqual(got.map((r) => r.cells[col('waiting')]), fmtd.waiting, 'waiting as the core gave them');
  assert.notDeepEqual(got, latestTable, 'differs from the latest pick');
  assert.equal(await page.locator('#sv-why table.sv-scores').getAttribute('data-request'), String(older));
  assert.match(await page.locator('.sv-choice').textContent(), new RegExp(`Showing request ${older}`));
  await shot(page, 'serving-why-1366-en');

  // keyboard: the next (older) pick with ArrowDown, Home back to the newest, Escape to follow
  const i = rows.findIndex((r) => r[0] === older);
  await page.keyboard.press('ArrowDown');
  const next = rows[Math.min(rows.length - 1, i + 1)][0];
  assert.equal(await page.evaluate(() => document.activeElement.dataset.request), String(next));
  assert.equal(await page.locator('#sv-why table.sv-scores').getAttribute('data-request'), String(next));
  assert.deepEqual((await tableRows(page)).map((r) => r.instance), (await expectRows(page, next)).instances);
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('.sv-follow').getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('#sv-why table.sv-scores').getAttribute('data-request'), String(rows[0][0]));

  // chosen, then run on: the chosen pick stays; once it leaves the kept window the page says so
  await page.locator(`.sv-pick-list button[data-request="${older}"]`).click();
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForFunction((n) => Math.min(...window.fleetlab.sim.pick_history().map((p) => p.request)) > n, older, { timeout: 20000 });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await paused(page);
  await page.waitForFunction(() => /no longer kept/.test(document.querySelector('.sv-choice').textContent));
  assert.equal(await page.locator('#sv-why table.sv-scores').count(), 0);
  await page.getByRole('button', { name: 'Follow the latest' }).click();
  const latest = await page.evaluate(() => window.fleetlab.sim.last_pick().request);
  assert.equal(await page.locator('#sv-why table.sv-scores').getAttribute('data-request'), String(latest));

  // rewind: the list shows the core's picks at that time
  await page.evaluate(() => window.fleetlab.app.seek(3));
  await paused(page);
  await synced(page);
  assert.ok(await page.evaluate(() => window.fleetlab.sim.now_s) < 4);
  await page.context().close();
});

test('the selected replica\'s chart holds the core\'s replica_history(id); none selected, it says how', async () => {
  const page = await openPage(browser, url(withBalancer('cache_aware'), '&lang=en'), problems);
  await runAndPause(page, 6);
  assert.match(await page.locator('.sv-hist-note').textContent(), /Select a replica/);
  assert.equal(await page.locator('#sv-history').isVisible(), false);
  // the cache_aware rule is worded, and its tree columns are there
  assert.match(await page.locator('#sv-why .sv-rule').textContent(), /cache threshold|imbalanced/);
  await page.getByRole('button', { name: 'Select replica #2' }).click();
  assert.equal(await page.evaluate(() => window.fleetlab.app.selected), 2);
  await page.waitForFunction(() => window.fleetlab.app.servingPanel.chart.plot?.data?.[0]?.length > 0);
  const [data, hist] = await page.evaluate(() => [window.fleetlab.app.servingPanel.chart.plot.data, window.fleetlab.sim.replica_history(2)]);
  assert.deepEqual(data, [hist.t_s, hist.batch, hist.waiting, hist.kv_use]);
  assert.ok(hist.t_s.length >= 5);
  assert.match(await page.locator('#h-sv-history').textContent(), /Replica #2 over time/);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.instance), '2', 'focus stays on the pressed button');
  // by keyboard: the next replica's button, Enter
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => window.fleetlab.app.selected), 3);
  await page.getByRole('button', { name: 'Select replica #2' }).click();
  assert.equal(await page.locator('#sv-history').isVisible(), true);
  const legend = await page.locator('#sv-history .u-legend').textContent();
  for (const s of ['batch', 'waiting', 'KV use']) assert.ok(legend.includes(s), s);
  await shot(page, 'serving-history-1366-en');
  await page.context().close();
});

test('web balancers in model serving mode: the loads they saw, their own rule', async () => {
  const page = await openPage(browser, url(withBalancer('least_connections'), '&lang=en'), problems);
  await runAndPause(page, 3);
  assert.match(await page.locator('#sv-why .sv-rule').textContent(), /decides by its own rule/);
  assert.ok(await page.locator('.sv-pick-list button.sv-pick').count() > 0);
  // 3 s into the example's 60 s warm-up nothing is measured: no "0 ms", but why there is none
  assert.equal(await page.evaluate(() => window.fleetlab.sim.serving().ttft_measured), 0);
  assert.equal(await page.locator('.ro[data-value="summary.ttft_s.mean"] output').textContent(), '—');
  assert.match(await page.locator('.sv-lat').textContent(), /No first token measured yet: .*warm-up \(60 s\)/);
  await page.context().close();
});

test('a request timeout applies to model servers in the page\'s core: timed out, counted, conservation holds', async () => {
  const sc = { ...withBalancer('endpoint_picker'), balancer: { algorithm: 'endpoint_picker', timeout_s: 0.5 } };
  const page = await openPage(browser, url(sc, '&lang=en'), problems);
  await runAndPause(page, 8);
  const r = await page.evaluate(() => window.fleetlab.sim.summary().requests);
  assert.ok(r.timed_out > 0 && r.timed_out <= r.failed, JSON.stringify(r));
  assert.equal(r.arrived, r.completed + r.dropped + r.failed + r.in_flight);
  await page.context().close();
});

test('screenshots: the pick list and the replica chart at 390×844 and 1366×800, English and Chinese', async () => {
  for (const [w, hgt] of [[390, 844], [1366, 800]]) {
    for (const lang of ['en', 'zh-CN']) {
      const page = await openPage(browser, url(withBalancer('endpoint_picker'), `&lang=${lang}`), problems, { width: w, height: hgt });
      await page.waitForFunction(() => window.fleetlab.sim.now_s >= 4, null, { timeout: 30000 });
      await page.evaluate(() => { window.fleetlab.app.pause(); window.fleetlab.app.select(1); });
      await paused(page);
      await synced(page);
      const second = page.locator('.sv-pick-list button.sv-pick').nth(3);
      await second.click();
      // no horizontal overflow of the page
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `no overflow at ${w}`);
      await page.locator('#h-sv-history').scrollIntoViewIfNeeded();
      await shot(page, `serving-history-${w}-${lang}`);
      await page.locator('.sv-picks').scrollIntoViewIfNeeded();
      await shot(page, `serving-why-${w}-${lang}`);
      await page.locator('#sv-why table').scrollIntoViewIfNeeded();
      await shot(page, `serving-why-table-${w}-${lang}`);
      await page.context().close();
    }
  }
});
