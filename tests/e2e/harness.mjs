// Shared by the page tests and the browser benchmark: start scripts/serve.mjs on a free port
// (server.mjs) and launch Debian's chromium through playwright-core (it cannot download browsers here).
import { chromium } from 'playwright-core';

export { root, startServer } from './server.mjs';

export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

/**
 * Opens the page at `url` in a laptop-sized tab and waits until its simulation runs. Every
 * console error or warning, page error, failed request, HTTP error and request outside the
 * page's origin is pushed onto `problems`, which each test file asserts empty at the end.
 */
export async function openPage(browser, url, problems) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  const origin = new URL(url).origin;
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) problems.push(`request outside the origin: ${u}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(url);
  await page.waitForFunction(() => window.fleetlab?.sim && window.fleetlab.sim.now_s > 0, null, { timeout: 10000 });
  return page;
}
