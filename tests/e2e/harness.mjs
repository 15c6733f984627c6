// Shared by the page tests and the browser benchmark: start scripts/serve.mjs on a free port
// (server.mjs) and launch Debian's chromium through playwright-core (it cannot download browsers here).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, startServer } from './server.mjs';

export { root, startServer } from './server.mjs';

export const SIZES = [[390, 844], [1280, 720], [1366, 800], [1920, 1080]];

/**
 * A page test file's set-up: one server and one browser for the whole file, handed to `bind`
 * before the first test; after the last both close, `report` runs, and `problems` (console
 * errors, page errors, failed requests that openPage collected) must be empty.
 */
export function pageSuite(problems, bind, { report } = {}) {
  let server, browser;
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    bind(server, browser);
  });
  after(async () => {
    await browser?.close();
    server?.stop();
    report?.();
    assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
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
 * Opens the page at `url` and waits until it is ready (its simulation exists, and has run
 * unless `paused`). Every console error or warning, page error, failed request, HTTP error and
 * request outside the page's origin is pushed onto `problems`, which each test file asserts
 * empty at the end. `lessons: true` serves the sample lesson (fixtures/) as the only lesson.
 */
export async function openPage(browser, url, problems, { width = 1366, height = 800, locale, lessons = false, paused = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale, acceptDownloads: true });
  const page = await context.newPage();
  const origin = new URL(url).origin;
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => { if (!/\/lessons\//.test(r.url())) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) problems.push(`request outside the origin: ${u}`);
  });
  page.on('response', (r) => { if (r.status() >= 400 && !/\/lessons\//.test(r.url())) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  if (lessons) await serveSampleLesson(page);
  await page.goto(url);
  await page.waitForFunction((p) => window.fleetlab?.sim && (p || window.fleetlab.sim.now_s > 0), paused, { timeout: 20000 });
  return page;
}

/** The sample lesson (tests/e2e/fixtures) as the page's only lesson. */
export async function serveSampleLesson(page) {
  const body = readFileSync(join(root, 'tests/e2e/fixtures/sample-lesson.json'), 'utf8');
  await page.route('**/lessons/index.json', (r) => r.fulfill({ contentType: 'application/json', body: '["sample.json"]' }));
  await page.route('**/lessons/sample.json', (r) => r.fulfill({ contentType: 'application/json', body }));
}

/** A full-page screenshot under target/screenshots/. */
export async function shot(page, name, { full = false } = {}) {
  const dir = join(root, 'target/screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: full });
}

/** Waits until the page is paused (play button says Play) and returns the simulated time. */
export async function paused(page, timeout = 20000) {
  await page.waitForFunction(() => !window.fleetlab.app.playing && !window.fleetlab.app.target && window.fleetlab.app.seekTo == null, null, { timeout });
  return page.evaluate(() => window.fleetlab.sim.now_s);
}

/** The page's own summary of the run now (what a link must reproduce). */
export const summaryOf = (page) => page.evaluate(() => JSON.stringify(window.fleetlab.sim.summary()));
