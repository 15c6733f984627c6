// The page in Chinese and in English, walked as a reader sees it: every visible text node and
// every aria-label, title and placeholder, at several states (each panel with its settings
// open, a lesson paused at its moment, the HPA deciding, a crash in the registry table, the
// comparison's results, an error, the lesson list). In zh-CN no English may appear but the
// proper names and identifiers of tests/e2e/words.mjs; in English no Chinese but the language
// control's own name. A first visit takes the browser's language; the choice is kept in the
// link and in <html lang>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageSuite, openPage, shot, paused } from './harness.mjs';
import { englishWords } from './words.mjs';

let server, browser;
const problems = [];

pageSuite(problems, (s, b) => { server = s; browser = b; });

/** Visible text and labelling attributes, with where they are. */
function visibleStrings(page) {
  return page.evaluate(() => {
    const out = [];
    const seen = (el) => {
      if (!el || !el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') return false;
      const closed = el.closest('details:not([open])');
      return !closed || el.closest('summary')?.parentElement === closed;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const s = n.textContent.trim();
      const el = n.parentElement;
      if (!s || !seen(el) || el.closest('script, style, textarea, #lang')) continue;
      out.push({ s, where: el.tagName + (el.id ? `#${el.id}` : '') + (el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : '') });
    }
    for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
      if (el.id === 'lang' || !seen(el)) continue;
      for (const a of ['aria-label', 'title', 'placeholder']) if (el.getAttribute(a)) out.push({ s: el.getAttribute(a), where: `${el.tagName}[${a}]` });
    }
    return out;
  });
}

async function assertChinese(page, state) {
  const bad = [];
  for (const { s, where } of await visibleStrings(page)) {
    const words = englishWords(s);
    if (words.length) bad.push(`${where}: ${s.slice(0, 120)} [${words.join(', ')}]`);
  }
  assert.deepEqual(bad, [], `English on the Chinese page (${state})`);
}

async function assertEnglish(page, state) {
  const bad = (await visibleStrings(page)).filter(({ s }) => /[\u4e00-\u9fff]/.test(s)).map(({ s, where }) => `${where}: ${s}`);
  assert.deepEqual(bad, [], `Chinese on the English page (${state})`);
}

/** Walks the page through its states, checking each with `check`. */
async function tour(page, check, lang) {
  for (const tab of ['serving', 'balancer', 'registry', 'autoscaler']) {
    await page.locator(`#tab-${tab}`).click();
    await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
    await check(page, `tab ${tab}, settings open`);
  }
  // the HPA deciding, a crash in the registry table, the inspector open, an error
  await page.evaluate(() => {
    const app = window.fleetlab.app;
    app.load({ autoscaler: { kind: 'hpa', behavior: { scale_up: {}, scale_down: {} } }, balancer: { health_check: {}, outlier_detection: {} }, faults: [{ at_s: 2, kind: 'crash', instance: 1 }, { at_s: 3, kind: 'slow', instance: 2, factor: 0.5 }] });
    app.render();
  });
  await page.waitForFunction(() => window.fleetlab.sim.now_s > 20, null, { timeout: 60000 });
  await page.evaluate(() => window.fleetlab.app.select(1));
  await page.locator('#tab-autoscaler').click();
  await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
  await page.locator('#inspector input[data-path$="speed"]').fill('-1');
  await page.locator('#inspector input[data-path$="speed"]').press('Enter');
  await check(page, 'HPA deciding, inspector with an error');
  await page.locator('#tab-registry').click();
  await check(page, 'registry table after a crash');
  await shot(page, `i18n-registry-1366-${lang}`);
  // the comparison's results
  await page.locator('#cmp-dur').selectOption('60');
  await page.locator('#cmp-run').click();
  await page.waitForSelector('#cmp-sentence', { timeout: 60000 });
  await check(page, 'comparison results');
  // the lessons: the list, then a step paused at its moment
  await page.locator('#btn-lessons').click();
  await page.waitForSelector('#lesson-menu:not([hidden]) .lesson-pick');
  await check(page, 'lesson list');
  await page.locator('.lesson-pick').first().click();
  await page.waitForSelector('#lesson[data-state="ask"]');
  await check(page, 'lesson question');
  await page.locator('#lesson button.choice').last().click();
  await page.locator('#lesson').getByRole('button', { name: /Jump|直接跳/ }).click();
  await page.waitForSelector('#lesson[data-state="paused"]', { timeout: 60000 });
  await check(page, 'lesson step paused');
  await shot(page, `i18n-lesson-1366-${lang}`);
  // a breakpoint's notice
  await page.locator('#lesson').getByRole('button', { name: /Close the lesson|关闭课程/ }).click();
  await page.evaluate(() => { document.querySelector('.pause-when').open = true; });
  await page.locator('#bp-crashed').check();
  await page.evaluate(() => {
    const app = window.fleetlab.app;
    app.load({ faults: [{ at_s: 1, kind: 'crash', instance: 3 }] });
    app.play();
  });
  await paused(page);
  await check(page, 'paused at a crash');
}

test('the Chinese page is Chinese in every state', async () => {
  const page = await openPage(browser, `${server.url}#lang=zh-CN`, problems, { lessons: true });
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  for (const name of ['课程', '重置', '单步']) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, name);
  assert.equal(await page.getByRole('combobox', { name: 'Language / 语言', exact: true }).count(), 1);
  await assertChinese(page, 'first screen');
  await shot(page, 'i18n-first-1366-zh-CN');
  await tour(page, assertChinese, 'zh-CN');
  await page.context().close();
});

test('the English page is English in every state', async () => {
  const page = await openPage(browser, `${server.url}#lang=en`, problems, { lessons: true });
  await tour(page, assertEnglish, 'en');
  await page.context().close();
});

test('a first visit takes the browser\'s language; switching keeps it in the link and <html lang>', async () => {
  const page = await openPage(browser, server.url, problems, { locale: 'zh-CN' });
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.equal(await page.getByRole('button', { name: '课程', exact: true }).count(), 1);
  await page.waitForFunction(() => /lang=zh-CN/.test(location.hash));
  await page.getByRole('combobox', { name: 'Language / 语言' }).selectOption('en');
  await page.waitForFunction(() => /lang=en/.test(location.hash) && document.documentElement.lang === 'en');
  assert.equal(await page.getByRole('button', { name: 'Lessons', exact: true }).count(), 1);
  // the run goes on through the switch
  assert.ok(await page.evaluate(() => window.fleetlab.sim.now_s > 0));
  await page.context().close();
  const en = await openPage(browser, server.url, problems, { locale: 'en-GB' });
  assert.equal(await en.evaluate(() => document.documentElement.lang), 'en');
  await en.context().close();
});
