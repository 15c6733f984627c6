// The comparison of two to four balancers on the page, in Chromium: the prefix-heavy model
// server example under round robin, least connections, endpoint picker and cache-aware routing,
// each row's numbers equal to the CLI's `compare --balancers … --json` for the same scenario and
// duration, and the verdict equal to the core's ranking that the CLI prints; links with two
// balancers (the older form) and with four restore the choice; the routing lesson's scenario
// compares too; the table scrolls inside its card on a phone, in English and Chinese.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pageSuite, openPage, shot, root } from './harness.mjs';

const FOUR = ['round_robin', 'least_connections', 'endpoint_picker', 'cache_aware'];
const PREFIX_HEAVY = JSON.parse(readFileSync(join(root, 'examples/serving/prefix-heavy.json'), 'utf8'));

let server, browser;
const problems = [];

pageSuite(problems, (s, b) => { server = s; browser = b; });

/**
 * The CLI's race of the four balancers on `scenario` measured for `seconds` (the page's
 * duration is the measured time: the scenario's warm-up comes before it).
 */
function cli(scenario, seconds) {
  const file = join(mkdtempSync(join(tmpdir(), 'fleetlab-cmp-')), 'scenario.json');
  writeFileSync(file, JSON.stringify({ ...scenario, duration_s: (scenario.warmup_s ?? 0) + seconds }));
  return JSON.parse(execFileSync(join(root, 'target/release/fleetlab'), ['compare', file, '--balancers', FOUR.join(), '--json']).toString());
}

/** Chooses the four balancers and a duration, runs the comparison and waits for its verdict. */
async function compareFour(page, seconds) {
  for (const [i, a] of FOUR.entries()) await page.locator(`#cmp-${'abcd'[i]}`).selectOption(a);
  await page.locator('#cmp-dur').selectOption(String(seconds));
  await page.locator('#cmp-run').click();
  await page.waitForSelector('#cmp-sentence', { timeout: 120000 });
}

test('four balancers on the prefix-heavy example: the CLI\'s numbers, row by row, and the core\'s verdict', async () => {
  const want = cli(PREFIX_HEAVY, 300);
  const page = await openPage(browser, `${server.url}#lang=en&scenario=${encodeURIComponent(JSON.stringify(PREFIX_HEAVY))}`, problems);
  await compareFour(page, 300);
  await page.waitForFunction(() => location.hash.includes('compare=round_robin,least_connections,endpoint_picker,cache_aware,300'));
  const rows = await page.evaluate(() => [...document.querySelectorAll('.cmp-table tbody tr')].map((tr) => ({
    algorithm: tr.dataset.algorithm,
    cells: Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.metric, { value: Number(td.dataset.value), text: td.firstChild.textContent }])),
  })));
  assert.deepEqual(rows.map((r) => r.algorithm), FOUR);
  for (const [i, lane] of want.lanes.entries()) {
    const { cells } = rows[i];
    const expected = {
      mean: lane.latency_s.mean,
      p99: lane.contender.p99_s,
      ttft_mean: lane.serving.ttft_s.mean,
      ttft_p99: lane.serving.ttft_s.p99,
      tpot_mean: lane.serving.tpot_s.mean,
      tokens: lane.serving.output_tokens_per_s,
      cached: lane.serving.cached_prompt_share,
      completed: lane.contender.completed,
      dropped: lane.contender.dropped,
      failed: lane.contender.failed,
    };
    assert.deepEqual(Object.keys(cells).sort(), Object.keys(expected).sort(), 'the serving columns');
    for (const [m, v] of Object.entries(expected)) {
      assert.equal(cells[m].value, v, `${lane.balancer} ${m}`);
    }
    // what is written is the CLI's number in the page's format
    const shown = await page.evaluate((e) => {
      const { fmt } = window.fleetlab.i18n;
      return { mean: fmt.ms(e.mean), ttft_mean: fmt.ms(e.ttft_mean), tokens: fmt.num(e.tokens), cached: fmt.pct1(e.cached), dropped: fmt.int(e.dropped) };
    }, expected);
    for (const [m, text] of Object.entries(shown)) assert.equal(cells[m].text, text, `${lane.balancer} ${m} as written`);
  }
  // the same requests in every run, as the CLI's digests say
  assert.ok(want.lanes.every((l) => l.arrival_digest === want.lanes[0].arrival_digest));
  const page_ = await page.evaluate(() => {
    const r = window.fleetlab.app.compare.result;
    return { ranking: r.ranking, arrived: r.summaries.map((s) => s.requests.arrived) };
  });
  assert.deepEqual(page_.arrived, want.lanes.map((l) => l.contender.arrived));
  assert.deepEqual(page_.ranking, want.ranking, 'the verdict is the core\'s');
  // the sentence words it: the winners (or the trade-off) by name
  const sentence = await page.locator('#cmp-sentence').textContent();
  assert.match(sentence, new RegExp(`All 4 runs received the same ${want.lanes[0].contender.arrived.toLocaleString('en')} requests`));
  const names = await page.evaluate((xs) => xs.map((x) => window.fleetlab.i18n.nameOf('balancer.algorithm', x)), FOUR);
  if (want.ranking.outcome === 'winner') assert.ok(sentence.includes(`${'ABCD'[want.ranking.winners[0]]} ${names[want.ranking.winners[0]]} did best`), sentence);
  else if (want.ranking.outcome === 'trade_off') assert.match(sentence, /trade-off/);
  // TTFT is one of the measures weighed, with its bars
  assert.deepEqual(await page.locator('.cmp-row').evaluateAll((rs) => rs.map((r) => r.dataset.measure)), ['lost', 'p99', 'mean', 'ttft_mean', 'ttft_p99']);
  await page.locator('#compare').scrollIntoViewIfNeeded();
  await shot(page, 'compare-4-prefix-heavy-1366-en');
  await page.context().close();
});

test('links: the two-balancer form restores as before, the four-balancer form restores all four', async () => {
  const old = await openPage(browser, `${server.url}#lang=en&compare=random,peak_ewma,60`, problems);
  const choice = (page) => page.evaluate(() => ['a', 'b', 'c', 'd', 'dur'].map((x) => document.getElementById(`cmp-${x}`).value));
  assert.deepEqual(await choice(old), ['random', 'peak_ewma', '', '', '60']);
  await old.locator('#cmp-dur').selectOption('1200');
  await old.waitForFunction(() => location.hash.includes('compare=random,peak_ewma,1200'));
  await old.context().close();
  const four = await openPage(browser, `${server.url}#lang=en&compare=${FOUR.join()},60`, problems);
  assert.deepEqual(await choice(four), [...FOUR, '60']);
  // C cleared: D goes too and waits for C (otherwise D's balancer would be tagged C)
  await four.locator('#cmp-c').selectOption('');
  await four.waitForFunction(() => location.hash.includes('compare=round_robin,least_connections,60'));
  assert.deepEqual(await choice(four), ['round_robin', 'least_connections', '', '', '60']);
  assert.equal(await four.locator('#cmp-d').isDisabled(), true);
  await four.locator('#cmp-c').selectOption('maglev');
  assert.equal(await four.locator('#cmp-d').isDisabled(), false);
  await four.context().close();
});

test('the routing lesson\'s scenario compares four balancers with the serving columns', async () => {
  const lesson = JSON.parse(readFileSync(join(root, 'www/lessons/10-routing-to-a-large-model.json'), 'utf8'));
  const scenario = lesson.steps[0].scenario;
  const want = cli(scenario, 60);
  const page = await openPage(browser, `${server.url}#lang=zh-CN&scenario=${encodeURIComponent(JSON.stringify(scenario))}`, problems);
  await compareFour(page, 60);
  const ttft = await page.locator('.cmp-table td[data-metric="ttft_mean"]').evaluateAll((tds) => tds.map((td) => Number(td.dataset.value)));
  assert.deepEqual(ttft, want.lanes.map((l) => l.serving.ttft_s.mean));
  assert.deepEqual(await page.evaluate(() => window.fleetlab.app.compare.result.ranking), want.ranking);
  assert.match(await page.locator('#cmp-sentence').textContent(), /全部 4 次运行/);
  await page.context().close();
});

for (const [width, height] of [[390, 844], [1366, 800]]) {
  for (const lang of ['en', 'zh-CN']) {
    test(`four balancers laid out at ${width}×${height} in ${lang}: the table scrolls in its card, the page does not`, async () => {
      const page = await openPage(browser, `${server.url}#lang=${lang}&scenario=${encodeURIComponent(JSON.stringify(PREFIX_HEAVY))}`, problems, { width, height });
      await compareFour(page, 300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px)`);
      const box = await page.evaluate(() => {
        const card = document.getElementById('compare').getBoundingClientRect();
        const scroller = document.querySelector('#compare .table-scroll').getBoundingClientRect();
        return { card: [card.left, card.right], scroller: [scroller.left, scroller.right] };
      });
      assert.ok(box.scroller[0] >= box.card[0] - 0.5 && box.scroller[1] <= box.card[1] + 0.5, `the table's scroller stays in the card: ${JSON.stringify(box)}`);
      await page.locator('#compare .table-scroll').scrollIntoViewIfNeeded();
      await shot(page, `compare-4-${width}x${height}-${lang}-table`);
      await page.locator('#compare .cmp-verdict').scrollIntoViewIfNeeded();
      await shot(page, `compare-4-${width}x${height}-${lang}-verdict`);
      await page.context().close();
    });
  }
}
