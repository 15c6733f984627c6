// Accessibility: axe-core (from npm) finds no violations on the page with each tab open,
// after a comparison has run and with the HPA panel filled in. The context bypasses the page's
// Content-Security-Policy only so that axe itself can be injected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, launchBrowser, root } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function violations(page) {
  return page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
}

test('no axe violations in any tab, after a comparison, with the HPA panel open', async () => {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1366, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => window.fleetlab?.sim && window.fleetlab.sim.now_s > 0, null, { timeout: 10000 });
  await page.addScriptTag({ path: join(root, 'node_modules/axe-core/axe.min.js') });
  const found = [];
  for (const tab of ['Balancer', 'Registry & log', 'Autoscaler']) {
    await page.getByRole('tab', { name: tab }).click();
    found.push(...(await violations(page)).map((v) => `${tab}: ${v}`));
  }
  await page.getByRole('combobox', { name: /^Autoscaler/ }).selectOption({ label: /HPA/ }).catch(async () => {
    await page.getByRole('combobox', { name: /^Autoscaler/ }).selectOption('hpa');
  });
  found.push(...(await violations(page)).map((v) => `HPA panel: ${v}`));
  await page.getByRole('button', { name: 'Run comparison' }).click();
  await page.waitForFunction(() => /Done/.test(document.getElementById('compare')?.textContent ?? ''), null, { timeout: 20000 });
  found.push(...(await violations(page)).map((v) => `comparison: ${v}`));
  await context.close();
  assert.deepEqual(found, []);
});
