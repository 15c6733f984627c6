// Every screen, both languages: at 390×844 (a phone), 1280×720, 1366×800 and 1920×1080 the
// page has no horizontal scrolling and nothing overlaps, with each panel's settings open and a
// lesson paused; on the phone the header takes at most a sixth of the screen, the fleet is in
// view without scrolling, tables scroll inside themselves and charts fit their cards; no text
// is under 12 px. Classroom mode (button, and classroom=1 in the link) gives large type and the
// fleet and one chart on the first screen. axe-core finds no violation in any of these states
// (counts printed). Screenshots: target/screenshots/layout-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pageSuite, openPage, shot, SIZES, root } from './harness.mjs';

let server, browser;
const problems = [];
const axeSource = readFileSync(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');
const axeCounts = [];

pageSuite(problems, (s, b) => { server = s; browser = b; }, {
  report: () => console.log(`axe-core violations per state:\n${axeCounts.map(([s, n]) => `  ${String(n).padStart(2)}  ${s}`).join('\n')}`),
});

/** Layout faults on the page as it is: overflow, overlaps, small text, charts wider than their cards. */
function layoutFaults(page) {
  return page.evaluate(() => {
    // at the top: further down, the sticky header lies over the page by design
    window.scrollTo(0, 0);
    const out = [];
    const W = window.innerWidth;
    if (document.documentElement.scrollWidth > W) out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${W}`);
    const clipRect = (el) => {
      let r = el.getBoundingClientRect();
      let box = { l: r.left, t: r.top, r: r.right, b: r.bottom };
      for (let a = el.parentElement; a; a = a.parentElement) {
        const cs = getComputedStyle(a);
        if (cs.display === 'none') return null;
        if (/(auto|hidden|scroll|clip)/.test(cs.overflowX + cs.overflowY)) {
          const q = a.getBoundingClientRect();
          box = { l: Math.max(box.l, q.left), t: Math.max(box.t, q.top), r: Math.min(box.r, q.right), b: Math.min(box.b, q.bottom) };
        }
      }
      return box.r - box.l > 1 && box.b - box.t > 1 ? box : null;
    };
    const hasText = (el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const leaves = [...document.querySelectorAll('body *')].filter((el) => {
      if (el.closest('.uplot, .vh, svg, option, datalist')) return false;
      // the content of a closed <details> is not shown (Chromium lays it out all the same)
      const closed = el.closest('details:not([open])');
      if (closed && !el.closest('summary')?.parentElement?.isSameNode(closed)) return false;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || cs.display === 'contents') return false;
      return el.matches('button, input, select, textarea, canvas, img, output, label, h1, h2, h3, th, td, legend, summary') || hasText(el);
    }).map((el) => ({ el, r: clipRect(el) })).filter((x) => x.r);
    for (const { el, r } of leaves) {
      if (r.r > W + 0.5) out.push(`${tag(el)} sticks out to ${Math.round(r.r)}`);
      if (hasText(el) && !el.closest('canvas')) {
        const size = parseFloat(getComputedStyle(el).fontSize);
        if (size < 12) out.push(`${tag(el)} text at ${size}px`);
      }
    }
    for (let i = 0; i < leaves.length; i++) {
      for (let j = i + 1; j < leaves.length; j++) {
        const a = leaves[i], b = leaves[j];
        if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
        const w = Math.min(a.r.r, b.r.r) - Math.max(a.r.l, b.r.l);
        const h = Math.min(a.r.b, b.r.b) - Math.max(a.r.t, b.r.t);
        if (w > 2 && h > 2) out.push(`${tag(a.el)} overlaps ${tag(b.el)} (${Math.round(w)}×${Math.round(h)})`);
      }
    }
    for (const card of document.querySelectorAll('.chart-card')) {
      const u = card.querySelector('.uplot');
      if (u && card.getClientRects().length && u.getBoundingClientRect().width > card.clientWidth + 1) out.push(`chart ${card.id} is wider than its card`);
    }
    return out;
    function tag(el) {
      return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.classList.length ? `.${[...el.classList].join('.')}` : ''} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}"`;
    }
  });
}

/** axe-core on the whole page, or on the element `within` names. */
async function axe(page, state, within = null) {
  await page.evaluate(axeSource);
  const result = await page.evaluate((sel) => window.axe.run(sel ? document.querySelector(sel) : document, { resultTypes: ['violations'] }), within);
  axeCounts.push([state, result.violations.length]);
  const summary = result.violations.map((v) => `${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(summary, [], `axe-core in ${state}`);
}

async function openAll(page) {
  await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true; });
}

for (const [w, h] of SIZES) {
  for (const lang of ['en', 'zh-CN']) {
    test(`${w}×${h} ${lang}: no sideways scroll, no overlap, readable, accessible`, async () => {
      const size = `${w}x${h}-${lang}`;
      const page = await openPage(browser, `${server.url}#lang=${lang}`, problems, { width: w, height: h, lessons: true });
      assert.deepEqual(await layoutFaults(page), [], `${size} first screen`);
      await shot(page, `layout-${size}-first`);
      if (w < 500) {
        const m = await page.evaluate(() => ({
          header: document.querySelector('header.top').getBoundingClientRect().height,
          canvas: document.getElementById('fleet').getBoundingClientRect().toJSON(),
        }));
        assert.ok(m.header <= h / 6, `the header takes ${m.header}px of ${h}`);
        assert.ok(m.canvas.top >= 0 && m.canvas.bottom <= h && m.canvas.height >= 200, `the fleet is in view without scrolling: ${JSON.stringify(m.canvas)}`);
      }
      if (w === 1366 || w < 500) await axe(page, `${size} first screen`);
      for (const tab of ['serving', 'balancer', 'registry', 'autoscaler']) {
        await page.locator(`#tab-${tab}`).click();
        await openAll(page);
        assert.deepEqual(await layoutFaults(page), [], `${size} ${tab} settings open`);
        if (w === 1366 || w < 500) await axe(page, `${size} ${tab} with its settings open`);
      }
      await page.locator('#controls').scrollIntoViewIfNeeded();
      await shot(page, `layout-${size}-autoscaler-settings`);
      // a table that scrolls inside itself
      await page.evaluate(() => { const a = window.fleetlab.app; a.load({ instances: { count: 40 }, traffic: { rate_rps: 3900 } }); a.render(); });
      await page.locator('#tab-registry').click();
      await page.waitForFunction(() => document.querySelectorAll('.registry-table tbody tr').length >= 40);
      const table = await page.evaluate(() => { const s = document.querySelector('.table-scroll'); return { sh: s.scrollHeight, ch: s.clientHeight }; });
      assert.ok(table.sh > table.ch, 'the registry table scrolls inside itself');
      assert.deepEqual(await layoutFaults(page), [], `${size} 40 instances`);
      // a lesson paused at its moment, with an instance inspected
      await page.locator('#btn-lessons').click();
      await page.locator('.lesson-pick').first().click();
      await page.waitForSelector('#lesson[data-state="ask"]');
      await page.locator('#lesson button.choice').first().click();
      await page.locator('#lesson').getByRole('button', { name: /Jump|直接跳/ }).click();
      await page.waitForSelector('#lesson[data-state="paused"]', { timeout: 60000 });
      await page.evaluate(() => window.fleetlab.app.select(1));
      assert.deepEqual(await layoutFaults(page), [], `${size} lesson paused`);
      await page.locator('#lesson').scrollIntoViewIfNeeded();
      await shot(page, `layout-${size}-lesson`);
      if (w === 1366 || w < 500) await axe(page, `${size} lesson paused, inspector open`);
      await page.context().close();
    });
  }
}

test('classroom mode: large type, the fleet and one chart fill the first screen', async () => {
  for (const [w, h] of [[1280, 720], [1920, 1080], [390, 844]]) {
    for (const lang of ['en', 'zh-CN']) {
      const page = await openPage(browser, `${server.url}#lang=${lang}`, problems, { width: w, height: h });
      await page.locator('#btn-classroom').click();
      await page.waitForFunction(() => /classroom=1/.test(location.hash));
      await page.waitForTimeout(300);
      const m = await page.evaluate(() => {
        const r = (s) => document.querySelector(s)?.getBoundingClientRect().toJSON();
        return { font: parseFloat(getComputedStyle(document.body).fontSize), canvas: r('#fleet'), chart: r('.feature-slot .chart-card'), tabs: r('.tabs') };
      });
      assert.ok(m.font >= 18, `large type: ${m.font}px`);
      assert.equal(m.tabs.height, 0, 'the panels collapse');
      if (w > 500) {
        assert.ok(m.canvas.bottom <= h && m.chart.bottom <= h + 1, `${w}×${h}: the fleet and the chart are on the first screen: ${JSON.stringify(m)}`);
        assert.ok(m.canvas.height >= h * 0.3, `${w}×${h}: the fleet is large: ${m.canvas.height}`);
      }
      assert.deepEqual(await layoutFaults(page), [], `classroom ${w}×${h} ${lang}`);
      await shot(page, `layout-${w}x${h}-${lang}-classroom`);
      if (w === 1920) await axe(page, `classroom ${w}×${h} ${lang}`);
      const link = await page.evaluate(() => location.href);
      await page.context().close();
      if (w === 1280 && lang === 'en') {
        const again = await openPage(browser, link, problems, { width: w, height: h });
        assert.equal(await again.evaluate(() => document.body.classList.contains('classroom')), true, 'classroom=1 in the link');
        assert.equal(await again.locator('#btn-classroom').getAttribute('aria-pressed'), 'true');
        await again.context().close();
      }
    }
  }
});

test('the comparison and the HPA export: laid out and accessible', async () => {
  const page = await openPage(browser, `${server.url}#lang=zh-CN&scenario=${encodeURIComponent(JSON.stringify({ autoscaler: { kind: 'hpa' } }))}`, problems);
  await page.locator('#cmp-dur').selectOption('60');
  await page.locator('#cmp-run').click();
  await page.waitForSelector('#cmp-sentence', { timeout: 60000 });
  await page.locator('#tab-autoscaler').click();
  await page.locator('.hpa-export button[aria-expanded]').click();
  await openAll(page);
  assert.deepEqual(await layoutFaults(page), []);
  await axe(page, '1366x800-zh-CN comparison results, HPA export open');
  await page.locator('#compare').scrollIntoViewIfNeeded();
  await shot(page, 'layout-1366x800-zh-CN-compare');
  await page.context().close();
});

test('four model-server balancers compared on a phone: laid out and accessible', async () => {
  const scenario = JSON.parse(readFileSync(join(root, 'examples/serving/prefix-heavy.json'), 'utf8'));
  for (const lang of ['en', 'zh-CN']) {
    const page = await openPage(browser, `${server.url}#lang=${lang}&scenario=${encodeURIComponent(JSON.stringify(scenario))}`, problems, { width: 390, height: 844 });
    for (const [i, a] of ['round_robin', 'least_connections', 'endpoint_picker', 'cache_aware'].entries()) await page.locator(`#cmp-${'abcd'[i]}`).selectOption(a);
    await page.locator('#cmp-dur').selectOption('60');
    await page.locator('#cmp-run').click();
    await page.waitForSelector('#cmp-sentence', { timeout: 60000 });
    assert.deepEqual(await layoutFaults(page), [], `390x844-${lang} four balancers`);
    await axe(page, `390x844-${lang} four model-server balancers compared`, '#compare');
    // the model-serving panel, with a pick chosen and a replica's chart
    await page.evaluate(() => window.fleetlab.app.select(1));
    await page.waitForSelector('#model-serving .sv-pick-list button.sv-pick', { timeout: 20000 });
    await axe(page, `390x844-${lang} model serving panel`, '#model-serving');
    await page.context().close();
  }
});
