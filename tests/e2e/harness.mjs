// Shared by the page tests and the browser benchmark: start scripts/serve.mjs on a free port
// and launch Debian's chromium through playwright-core (it cannot download browsers here).
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Starts the page's server; resolves to { url, stop() } once it listens. */
export function startServer() {
  return new Promise((ok, fail) => {
    const port = 18000 + Math.floor(Math.random() * 2000);
    const p = spawn(process.execPath, [join(root, 'scripts/serve.mjs')], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => fail(new Error(`server did not start: ${out}`)), 10000);
    p.stdout.on('data', (d) => {
      out += d;
      const m = /fleetlab is at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1], stop: () => p.kill() });
      }
    });
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited ${code}: ${out}`)); });
  });
}

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
