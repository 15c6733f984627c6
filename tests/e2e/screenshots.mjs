// `node tests/e2e/screenshots.mjs [N…]`: the page with a large fleet, to be looked at — N = 10,000
// and 100,000 by default (C = 100 req/s, L = 0.9·N·C), at 1366×800 and 390×844, in English and
// Chinese (lang in the URL fragment), in headless Chromium with software rendering. For each: the
// viewport, and the fleet card with its legend open. Files in target/screenshots/fleet-*.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, root } from './harness.mjs';

const NS = process.argv.slice(2).map(Number).filter((n) => n > 0);
const sizes = [[1366, 800], [390, 844]];
const dir = join(root, 'target/screenshots');
mkdirSync(dir, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();
try {
  for (const n of NS.length ? NS : [10000, 100000]) {
    const scenario = { instances: { count: n, capacity_rps: 100 }, traffic: { rate_rps: 0.9 * n * 100 } };
    for (const [width, height] of sizes) {
      for (const lang of ['en', 'zh-CN']) {
        const context = await browser.newContext({ viewport: { width, height } });
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
        await page.goto(`${server.url}#lang=${lang}&scenario=${encodeURIComponent(JSON.stringify(scenario))}`);
        await page.waitForFunction(() => window.fleetlab?.sim?.now_s > 0, null, { timeout: 120000, polling: 100 });
        await page.waitForTimeout(4000); // utilisation settles; the panel refreshes twice a second
        const name = `fleet-${n}-${width}x${height}-${lang}`;
        await page.screenshot({ path: join(dir, `${name}.png`) });
        await page.locator('#stage .legend-box summary').click();
        await page.addStyleTag({ content: 'header.top { position: static !important; }' }); // not over the card's shot
        await page.waitForTimeout(600);
        await page.locator('#stage').screenshot({ path: join(dir, `${name}-card.png`) });
        const mode = await page.evaluate(() => document.getElementById('fleet').dataset.mode);
        console.log(`${name}: mode ${mode}${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`);
        await context.close();
      }
    }
  }
} finally {
  await browser.close();
  server.stop();
}
