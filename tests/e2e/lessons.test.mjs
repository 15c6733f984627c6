// The lesson player, driven start to end as a learner would in both languages: the sample
// lesson (fixtures/sample-lesson.json) pauses at the moments its steps name — an absolute time,
// the first eviction, a continued run — with the question, the answer, the highlight and the
// explanation filled from the paused simulation; a link to a step reopens it. Then every lesson
// installed in www/lessons (when there are any) runs each step to its moment, with "Jump to the
// moment", and must pause where the step says: at until_s, or at an event of kind `until`.
// Screenshots of every step: target/screenshots/lesson-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pageSuite, openPage, shot, root } from './harness.mjs';

let server, browser;
const problems = [];

pageSuite(problems, (s, b) => { server = s; browser = b; });

const state = (page) => page.evaluate(() => ({
  step: Number(document.getElementById('lesson').dataset.step),
  state: document.getElementById('lesson').dataset.state,
  t: window.fleetlab.sim.now_s,
  text: document.getElementById('lesson').textContent,
  selected: window.fleetlab.app.selected,
}));

async function waitState(page, s) {
  await page.waitForSelector(`#lesson[data-state="${s}"]`, { timeout: 90000 });
  return state(page);
}

for (const lang of ['en', 'zh-CN']) {
  test(`the sample lesson, start to end (${lang})`, async () => {
    const page = await openPage(browser, `${server.url}#lang=${lang}`, problems, { lessons: true });
    const name = (en, zh) => (lang === 'en' ? en : zh);
    await page.getByRole('button', { name: name('Start here', '从这里开始'), exact: true }).first().click();
    let s = await waitState(page, 'ask');
    assert.equal(s.step, 1);
    assert.equal(s.t, 0, 'a fresh scenario, paused at its start');
    assert.match(s.text, name(/L = 450/, /L = 450/), 'the question is filled from the scenario');
    assert.equal(await page.evaluate(() => window.fleetlab.sim.scenario().traffic.rate_rps), 450);
    assert.equal(await page.locator('.feature-slot #chart-latency').count(), 1, 'the step shows its chart beside the fleet');
    await shot(page, `lesson-sample-${lang}-1-question`);
    // predict (the wrong answer), then it runs at the step's speed to t = 30 s
    await page.locator('#lesson button.choice').nth(1).click();
    assert.match(await page.locator('#lesson .answer').textContent(), name(/Not quite/, /不太对/));
    s = await waitState(page, 'paused');
    assert.equal(s.t, 30, 'paused at until_s');
    assert.match(s.text, name(/At t = 30 s, ρ = 0\.9: each instance idles 10%/, /在 t = 30 秒，ρ = 0\.9：每个实例有 10% 的时间空闲/));
    assert.doesNotMatch(s.text, /[{}]/, 'every placeholder filled');
    await shot(page, `lesson-sample-${lang}-1-paused`);
    // step 2: a fresh scenario; "Jump to the moment": the eviction of #2
    await page.getByRole('button', { name: name('Next', '下一步') }).click();
    s = await waitState(page, 'ask');
    assert.equal(s.step, 2);
    assert.equal(s.t, 0);
    assert.equal(await page.locator('#tab-registry').getAttribute('aria-selected'), 'true');
    await page.locator('#lesson button.choice').nth(1).click();
    await page.locator('#lesson').getByRole('button', { name: name('Jump to the moment', '直接跳到那一刻') }).click();
    s = await waitState(page, 'paused');
    const evicted = await page.evaluate(() => window.fleetlab.sim.log_since(0).find((e) => e.kind === 'evicted'));
    assert.equal(evicted.instance, 2);
    assert.equal(s.t, evicted.t_s, 'paused at the eviction');
    assert.equal(s.selected, 2, 'the highlighted instance is selected');
    assert.match(s.text, name(/the lease of #2 expired: no heartbeat for 15 s/, /#2 的租约过期：15 秒没有心跳/));
    assert.equal(await page.evaluate(() => [...document.querySelectorAll('#event-log input')].filter((b) => b.checked).map((b) => b.dataset.group).join()), 'registry', 'the log shows the registry');
    await shot(page, `lesson-sample-${lang}-2-paused`);
    // step 3 continues the same run to t = 40 s
    const failedBefore = await page.evaluate(() => window.fleetlab.sim.summary().requests.failed);
    await page.getByRole('button', { name: name('Next', '下一步') }).click();
    s = await waitState(page, 'ask');
    assert.equal(s.t, evicted.t_s, 'the run continues from the eviction');
    await page.locator('#lesson').getByRole('button', { name: name('Jump to the moment', '直接跳到那一刻') }).click();
    s = await waitState(page, 'paused');
    assert.equal(s.t, 40);
    assert.ok(await page.evaluate(() => window.fleetlab.sim.summary().requests.failed) >= failedBefore);
    await shot(page, `lesson-sample-${lang}-3-paused`);
    // a link to this step reopens it (replaying the steps it continues)
    await page.waitForFunction(() => /lesson=sample&step=3/.test(location.hash), null, { timeout: 5000 });
    const url = await page.evaluate(() => location.href);
    await page.context().close();
    const again = await openPage(browser, url, problems, { lessons: true, paused: true });
    s = await waitState(again, 'ask');
    assert.equal(s.step, 3);
    assert.equal(s.t, evicted.t_s, 'step 3 starts where step 2 paused');
    // Back goes to step 2, fresh
    await again.getByRole('button', { name: name('Back', '上一步') }).click();
    s = await waitState(again, 'ask');
    assert.equal(s.step, 2);
    assert.equal(s.t, 0);
    await again.getByRole('button', { name: name('Close the lesson', '关闭课程') }).click();
    await again.waitForFunction(() => !/lesson=/.test(location.hash), null, { timeout: 5000 });
    await again.context().close();
  });
}

const index = join(root, 'www/lessons/index.json');
const installed = existsSync(index) ? JSON.parse(readFileSync(index, 'utf8')) : [];

test(`every installed lesson pauses where its steps say (${installed.length} lessons)`, { skip: installed.length === 0 && 'no lessons in www/lessons yet' }, async () => {
  for (const [k, file] of installed.entries()) {
    const lesson = JSON.parse(readFileSync(join(root, 'www/lessons', file), 'utf8'));
    const lang = k % 2 ? 'zh-CN' : 'en';
    const page = await openPage(browser, `${server.url}#lang=${lang}&lesson=${lesson.id}&step=1`, problems, { paused: true });
    for (const [i, step] of lesson.steps.entries()) {
      const s = await waitState(page, 'ask');
      assert.equal(s.step, i + 1, `${file} step ${i + 1}`);
      await page.locator('#lesson').getByRole('button', { name: /Jump to the moment|直接跳到那一刻/ }).click();
      const p = await waitState(page, 'paused');
      if (step.run?.until_s != null) assert.equal(p.t, step.run.until_s, `${file} step ${i + 1} pauses at until_s`);
      if (step.run?.until) {
        const hit = await page.evaluate((kind) => window.fleetlab.sim.log_since(0).filter((e) => e.kind === kind).pop(), step.run.until);
        assert.ok(hit && hit.t_s === p.t, `${file} step ${i + 1} pauses at the first "${step.run.until}": t = ${p.t}`);
      }
      assert.doesNotMatch(p.text, /\{[a-z_.|]+\}/, `${file} step ${i + 1}: placeholders filled`);
      await shot(page, `lesson-${lesson.id}-${lang}-${i + 1}`);
      if (i + 1 < lesson.steps.length) await page.getByRole('button', { name: /^(Next|下一步)$/ }).click();
    }
    await page.context().close();
  }
});
