// The fleet canvas (www/fleet-view.js) in Chromium: what it draws, read back as pixels.
// - FleetView on its own, fed synthetic views built from the core's own column list and codes:
//   names the core does not export are refused; a small fleet draws one cell per instance in the
//   colour the page's legend gives its utilisation (the CSS gradient in style.css, read here, is
//   the independent reference); the grid view at N = 1,000 draws 1,000 separate cells; past
//   LARGE_FLEET the heat map's histogram, busiest/idlest and state counts match the fleet as
//   built, and hit() at the pixels of a cell returns that instance.
// - The real page: a click on a crashed cell selects it; the view switches to the heat map past
//   the threshold with busiest/idlest call-outs; screenshots of N = 5, 1,000, 10,000 and 100,000
//   go to target/screenshots/fleet-N.png. No console errors anywhere.
// Run after `make wasm`: node --test tests/e2e/fleet-view.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pageSuite, openPage, root } from './harness.mjs';

let server;
let browser;
const problems = [];

pageSuite(problems, (s, b) => { server = s; browser = b; });

/** The legend's gradient (style.css .lg-grad): [[u, [r, g, b]], ...] (#rrggbb or rgb() stops). */
function legendStops() {
  const css = readFileSync(join(root, 'www/style.css'), 'utf8');
  const grad = /\.lg-grad\s*{[^}]*?linear-gradient\(\s*[\d.]+deg\s*,(.*?)\)\s*;/.exec(css)[1];
  const stops = [...grad.matchAll(/(?:#([0-9a-f]{6})|rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\))\s*(?:([\d.]+)%)?/gi)].map(([, h, r, g, b, p]) => [
    p == null ? null : Number(p) / 100,
    h ? [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) : [r, g, b].map(Number),
  ]);
  // CSS: a first stop without a position is at 0 %, a last one at 100 %
  if (stops[0][0] == null) stops[0][0] = 0;
  if (stops.at(-1)[0] == null) stops.at(-1)[0] = 1;
  assert.ok(stops.length >= 2 && stops.every(([u]) => u != null), `legend gradient: ${grad}`);
  return stops;
}
/** The legend's colour at utilisation u (a CSS gradient interpolates linearly between stops). */
function legendColor(u) {
  const stops = legendStops();
  let i = 1;
  while (i < stops.length - 1 && u > stops[i][0]) i++;
  const [u0, c0] = stops[i - 1], [u1, c1] = stops[i];
  const t = (u - u0) / (u1 - u0);
  return c0.map((x, k) => x + (c1[k] - x) * t);
}
// The canvas takes colours from a table of 256 steps over [0, 1]: one step moves a channel by
// at most 2 on the steepest stretch of the scale (yellow → red, 108 levels over 0.22).
const close = (a, b, tol = 2) => a.length === b.length && a.every((x, k) => Math.abs(x - b[k]) <= tol);

/** A blank page of the same origin with the wasm package and fleet-view.js loaded. */
async function blankPage() {
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  page.on('console', (m) => {
    // the blank page is the server's 404 (no page script): its own load is the only expected error
    if ((m.type() === 'error' || m.type() === 'warning') && !/status of 404/.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400 && !/__blank|favicon/.test(r.url())) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(`${server.url}__blank`);
  await page.evaluate(async () => {
    const core = await import('/pkg/fleetlab.js');
    await core.default();
    const fv = await import('/fleet-view.js');
    const fields = core.Simulation.view_fields();
    const codes = core.codes();
    document.body.innerHTML = '<div id="wrap" style="position:relative;width:700px;height:450px;background:#101a26"><canvas id="c" style="position:absolute;inset:0;width:100%;height:100%"></canvas></div>';
    const L = Object.fromEntries(codes.lifecycle.map((n, i) => [n, i]));
    const R = Object.fromEntries(codes.registry.map((n, i) => [n, i]));
    /** rows: [{id, lifecycle: name, utilization, ...}] → a Float32Array in the core's layout */
    const makeView = (rows) => {
      const nf = fields.length;
      const v = new Float32Array(rows.length * nf);
      rows.forEach((r, i) => {
        const row = { registry: R.up, in_view: 1, weight: 1, speed: 1, concurrency: 1, ...r, lifecycle: L[r.lifecycle ?? 'ready'] };
        for (const [k, val] of Object.entries(row)) {
          const c = fields.indexOf(k);
          if (c < 0) throw new Error(`no column ${k}`);
          v[i * nf + c] = val;
        }
      });
      return v;
    };
    /** The canvas's pixels, read from a copy (the page's canvas is not made for readback). */
    const pixels = (canvas) => {
      const c = document.createElement('canvas');
      c.width = canvas.width; c.height = canvas.height;
      const x = c.getContext('2d', { willReadFrequently: true });
      x.drawImage(canvas, 0, 0);
      return x.getImageData(0, 0, c.width, c.height).data;
    };
    /** Draws the rows after `frames` updates of 50 ms (tweens and fades settled), simulation paused. */
    const show = (fleet, rows, frames = 120) => {
      const v = makeView(rows);
      for (let k = 0; k < frames; k++) fleet.update(v, rows.length, 0.05, false);
      fleet.draw();
    };
    /**
     * Opaque regions (alpha ≥ 200, 4-connected) of the canvas with at least minArea pixels:
     * [{x0, y0, x1, y1, area, color: [r, g, b] at (15 %, 60 %) of its box}] in reading order (the
     * cells' plain part: left of the queue bar, below the text, above the crash badge).
     */
    const regions = (canvas, minArea) => {
      const { width: w, height: h } = canvas;
      const d = pixels(canvas);
      const label = new Int32Array(w * h).fill(-1);
      const out = [];
      const stack = [];
      for (let p = 0; p < w * h; p++) {
        if (label[p] >= 0 || d[p * 4 + 3] < 200) continue;
        const r = { x0: w, y0: h, x1: 0, y1: 0, area: 0 };
        label[p] = out.length;
        stack.push(p);
        while (stack.length) {
          const q = stack.pop();
          const x = q % w, y = (q - x) / w;
          r.area++;
          if (x < r.x0) r.x0 = x; if (x > r.x1) r.x1 = x; if (y < r.y0) r.y0 = y; if (y > r.y1) r.y1 = y;
          for (const n of [x > 0 ? q - 1 : -1, x < w - 1 ? q + 1 : -1, y > 0 ? q - w : -1, y < h - 1 ? q + w : -1]) {
            if (n >= 0 && label[n] < 0 && d[n * 4 + 3] >= 200) { label[n] = out.length; stack.push(n); }
          }
        }
        out.push(r);
      }
      return out.filter((r) => r.area >= minArea).map((r) => {
        const sx = Math.round(r.x0 + 0.15 * (r.x1 - r.x0)), sy = Math.round(r.y0 + 0.6 * (r.y1 - r.y0));
        const k = (sy * w + sx) * 4;
        return { ...r, color: [d[k], d[k + 1], d[k + 2]] };
      }).sort((a, b) => (Math.abs(a.y0 - b.y0) > 2 ? a.y0 - b.y0 : a.x0 - b.x0));
    };
    /** Centres (CSS px) of the pixels exactly of colour rgb. */
    const find = (canvas, rgb) => {
      const { width: w, height: h } = canvas;
      const d = pixels(canvas);
      let n = 0, sx = 0, sy = 0;
      for (let p = 0; p < w * h; p++) {
        if (d[p * 4 + 3] === 255 && d[p * 4] === rgb[0] && d[p * 4 + 1] === rgb[1] && d[p * 4 + 2] === rgb[2]) { n++; sx += p % w; sy += Math.floor(p / w); }
      }
      const dpr = devicePixelRatio || 1;
      return n ? { n, x: (sx / n + 0.5) / dpr, y: (sy / n + 0.5) / dpr } : null;
    };
    window.T = { core, fv, fields, codes, makeView, show, regions, find, canvas: document.getElementById('c') };
  });
  return page;
}

test('FleetView refuses column and code names the core does not export', async () => {
  const page = await blankPage();
  const r = await page.evaluate(() => {
    const { fv, fields, codes, canvas } = window.T;
    const tryMake = (o) => { try { new fv.FleetView(canvas, o); return 'ok'; } catch (e) { return e.message; } };
    return {
      real: tryMake({ fields, codes }),
      noColumn: tryMake({ fields: fields.filter((f) => f !== 'in_view'), codes }),
      noState: tryMake({ fields, codes: { ...codes, lifecycle: codes.lifecycle.map((n) => (n === 'draining' ? 'leaving' : n)) } }),
      noFlag: tryMake({ fields, codes: { ...codes, flags: codes.flags.filter(([n]) => n !== 'ejected') } }),
      // text: the page's t() when it knows the key, the English default (with its parameters) when it returns the key
      text: (() => {
        const fleet = new fv.FleetView(canvas, { fields, codes, t: (key) => (key === 'fleet.busiest' ? '最忙' : key) });
        return [fleet.tr('fleet.busiest'), fleet.tr('fleet.failed_badge', { n: '540' }), fleet.tr('fleet.state.draining')];
      })(),
    };
  });
  assert.equal(r.real, 'ok');
  assert.match(r.noColumn, /no column "in_view"/);
  assert.match(r.noState, /lifecycle state "draining"/);
  assert.match(r.noFlag, /flag "ejected"/);
  assert.deepEqual(r.text, ['最忙', '✕ 540 failed', 'draining']);
  await page.close();
});

test('a small fleet: one cell per instance, in the legend colour of its utilisation, in id order', async () => {
  const page = await blankPage();
  const utils = [0, 0.2, 0.45, 0.78, 1];
  const r = await page.evaluate(async (utils) => {
    const { fv, fields, codes, show, regions, canvas } = window.T;
    const fleet = new fv.FleetView(canvas, { fields, codes });
    const rows = utils.map((u, id) => ({ id, utilization: u }));
    rows.push({ id: 5, lifecycle: 'crashed' });
    show(fleet, rows);
    const png = await fleet.toPNG();
    const bitmap = await createImageBitmap(png);
    return {
      mode: canvas.dataset.mode, drawn: canvas.dataset.instancesDrawn, regions: regions(canvas, 400), order: [...fleet.order],
      png: { type: png.type, w: bitmap.width, h: bitmap.height }, size: { w: canvas.width, h: canvas.height },
    };
  }, utils);
  assert.equal(r.mode, 'detail');
  assert.equal(r.drawn, '6');
  assert.deepEqual(r.order, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(r.png, { type: 'image/png', ...r.size }, 'toPNG: the whole canvas as a PNG');
  // the balancer (#1d3b5c) on the left; every other large opaque region is a cell
  const lb = r.regions.filter((x) => x.color.join() === '29,59,92');
  assert.equal(lb.length, 1, 'one balancer box');
  const cells = r.regions.filter((x) => x !== lb[0]);
  assert.ok(cells.every((c) => c.x0 > lb[0].x1), 'the cells are right of the balancer');
  assert.equal(cells.length, 6, JSON.stringify(r.regions.map((x) => [x.x0, x.y0, x.area, x.color])));
  utils.forEach((u, i) => assert.ok(close(cells[i].color, legendColor(u)), `#${i} at ${u}: drew ${cells[i].color}, the legend has ${legendColor(u).map(Math.round)}`));
  assert.deepEqual(cells[5].color, [0x3a, 0x0d, 0x0d], 'the crashed instance is dark red');
  await page.close();
});

test('the grid view draws N = 1,000 separate cells coloured by utilisation', async () => {
  const page = await blankPage();
  const r = await page.evaluate(() => {
    const { fv, fields, codes, show, regions, canvas } = window.T;
    const fleet = new fv.FleetView(canvas, { fields, codes });
    const rows = Array.from({ length: 1000 }, (_, id) => ({ id, utilization: (id % 11) / 10 }));
    show(fleet, rows, 3);
    const cells = regions(canvas, 20);
    return { mode: canvas.dataset.mode, cells: cells.map((c) => ({ x: c.x0, x1: c.x1, y: c.y0, color: c.color, area: c.area })) };
  });
  assert.equal(r.mode, 'grid');
  // the balancer box (and its arrow) on the left; everything right of it is a cell
  const lb = r.cells.find((c) => c.color.join() === '29,59,92');
  assert.ok(lb);
  const cells = r.cells.filter((c) => c.x > lb.x1);
  assert.equal(cells.length, 1000);
  const bad = cells.filter((c, i) => !close(c.color, legendColor((i % 11) / 10)));
  assert.deepEqual(bad.slice(0, 3), [], `${bad.length} cells off the legend colour`);
  await page.close();
});

test('autoscaler churn: memory follows the fleet shown, not the ids used up; state follows each instance', async () => {
  const page = await blankPage();
  const r = await page.evaluate(() => {
    const { fv, fields, codes, makeView, canvas } = window.T;
    const fleet = new fv.FleetView(canvas, { fields, codes });
    // instance 0 stays all along, its utilisation alternating 0 and 1 each frame; 39 others
    // come and go, one id replaced per frame, each reading (id mod 10) / 10: after 20,000
    // frames the ids reach 20,038
    const FRAMES = 20000;
    let newest = null, newestUtil = null;
    for (let k = 0; k < FRAMES; k++) {
      const rows = [{ id: 0, utilization: k % 2 }];
      for (let id = k + 1; id < k + 40; id++) rows.push({ id, utilization: (id % 10) / 10 });
      fleet.update(makeView(rows), rows.length, 0.05, true, 0.05);
      if (k % 1000 === 0) fleet.draw();
      newest = rows.at(-1).id;
      newestUtil = (newest % 10) / 10;
    }
    fleet.draw();
    return {
      cap: fleet.cap, drawn: canvas.dataset.instancesDrawn, order: [...fleet.order].slice(0, 3),
      zero: fleet.describe(0).util, newest: fleet.describe(newest).util, newestUtil, gone: fleet.describe(5),
    };
  });
  assert.equal(r.drawn, '40');
  assert.deepEqual(r.order, [0, 20000, 20001], 'rows in id order: the last frame holds 0 and 20,000 to 20,038');
  // at most the rows of two frames at once (those leaving are given back a frame later)
  assert.ok(r.cap <= 128, `per-instance storage for ${r.cap} instances, for a fleet of 40`);
  // an exponential average of 0, 1, 0, 1, … settles between the two (it keeps its history)
  assert.ok(r.zero > 0.3 && r.zero < 0.7, `instance 0's eased utilisation ${r.zero}`);
  // a newcomer starts from its own reading, not from the slot's previous owner
  assert.ok(Math.abs(r.newest - r.newestUtil) < 1e-6, `newest ${r.newest} vs ${r.newestUtil}`);
  assert.equal(r.gone, null, 'an instance gone from the view is not described');
  await page.close();
});

test('past LARGE_FLEET: heat map, histogram, busiest and idlest, counts by state; hit() finds the cell drawn', async () => {
  const page = await blankPage();
  // Ready instances at bin centres of the 20-bin histogram, three clear busiest and idlest,
  // ten crashed and ten starting.
  const special = { 4321: 1, 17: 0.99, 999: 0.985, 2500: 0, 33: 0.01, 3000: 0.02 };
  const N = 5000;
  const rows = [];
  for (let id = 0; id < N; id++) {
    if (id >= 4000 && id < 4010) rows.push({ id, lifecycle: 'crashed' });
    else if (id >= 4010 && id < 4020) rows.push({ id, lifecycle: 'starting' });
    else rows.push({ id, utilization: special[id] ?? ((id % 20) + 0.5) / 20 });
  }
  const hist = new Array(20).fill(0);
  for (const r of rows) if (r.lifecycle === undefined) hist[Math.min(19, Math.floor(r.utilization * 20))]++;
  const res = await page.evaluate(({ rows }) => {
    const { fv, fields, codes, show, canvas, find } = window.T;
    const fleet = new fv.FleetView(canvas, { fields, codes });
    show(fleet, rows, 3);
    const stats = fleet.stats();
    const red = find(canvas, [214, 69, 65]); // the colour of utilisation 1: only #4321
    const blue = find(canvas, [59, 130, 196]); // utilisation 0: only #2500
    return {
      limit: fv.LARGE_FLEET, mode: canvas.dataset.mode, stats,
      red, blue, hitRed: red && fleet.hit(red.x, red.y), hitBlue: blue && fleet.hit(blue.x, blue.y),
      outside: fleet.hit(2, 2),
      describe: fleet.describe(4321),
    };
  }, { rows });
  assert.ok(N > res.limit);
  assert.equal(res.mode, 'heatmap');
  assert.deepEqual(res.stats.busiest.map((e) => e.id), [4321, 17, 999]);
  assert.deepEqual(res.stats.idlest.map((e) => e.id), [2500, 33, 3000]);
  assert.ok(Math.abs(res.stats.busiest[0].util - 1) < 1e-6 && Math.abs(res.stats.idlest[1].util - 0.01) < 1e-6);
  assert.deepEqual(res.stats.histogram, hist);
  assert.deepEqual(res.stats.counts, { starting: 10, ready: N - 20, draining: 0, terminating: 0, stopped: 0, crashed: 10 });
  assert.ok(res.red && res.red.n <= 36, `one small cell of utilisation 1: ${JSON.stringify(res.red)}`);
  assert.equal(res.hitRed, 4321);
  assert.equal(res.hitBlue, 2500);
  assert.equal(res.outside, null, 'the panel is not a cell');
  assert.equal(res.describe.lifecycle, 'ready');
  assert.equal(res.describe.util, 1);
  await page.close();
});

test('on the page: clicking a crashed cell selects it; large fleets switch to the heat map; screenshots', async () => {
  const dir = join(root, 'target/screenshots');
  mkdirSync(dir, { recursive: true });
  const closeInspector = (p) => p.locator('#inspector .insp-head button').click();
  // N = 5: crash #2 while running, pause, then click on the dark-red cell
  const page = await openPage(browser, server.url, problems);
  await page.evaluate(() => window.fleetlab.sim.fault(2, 'crash', 1));
  await page.waitForFunction(() => window.fleetlab.fleet.describe(2)?.lifecycle === 'crashed', null, { timeout: 5000 });
  await page.locator('#btn-play').click();
  await page.waitForTimeout(1500); // the cells settle (tweens)
  const at = await page.evaluate(() => {
    const src = document.getElementById('fleet');
    const c = document.createElement('canvas');
    const { width: w, height: h } = src;
    c.width = w; c.height = h;
    const x = c.getContext('2d', { willReadFrequently: true });
    x.drawImage(src, 0, 0);
    const d = x.getImageData(0, 0, w, h).data;
    let n = 0, sx = 0, sy = 0;
    for (let p = 0; p < w * h; p++) if (d[p * 4] === 0x3a && d[p * 4 + 1] === 0x0d && d[p * 4 + 2] === 0x0d && d[p * 4 + 3] === 255) { n++; sx += p % w; sy += Math.floor(p / w); }
    return n ? { x: sx / n / devicePixelRatio, y: sy / n / devicePixelRatio, n } : null;
  });
  assert.ok(at && at.n > 100, 'the crashed cell is drawn');
  await page.locator('#fleet').click({ position: { x: at.x, y: at.y } });
  assert.equal(await page.evaluate(() => window.fleetlab.fleet.selected), 2);
  assert.match(await page.locator('#insp-title').textContent(), /#2 — crashed/);
  await closeInspector(page);
  await page.locator('#btn-play').click();
  await page.waitForTimeout(500);
  await page.locator('.canvas-wrap').screenshot({ path: join(dir, 'fleet-5.png') });
  await page.close();

  for (const [n, mode] of [[1000, 'grid'], [10000, 'heatmap'], [100000, 'heatmap']]) {
    const sc = { instances: { count: n, capacity_rps: 100 }, traffic: { rate_rps: 0.9 * n * 100 } };
    const p = await openPage(browser, `${server.url}#scenario=${encodeURIComponent(JSON.stringify(sc))}`, problems);
    await p.waitForFunction((n) => document.getElementById('fleet').dataset.instancesDrawn === String(n), n, { timeout: 30000 });
    await p.waitForTimeout(2500);
    assert.equal(await p.locator('#fleet').getAttribute('data-mode'), mode, `N = ${n}`);
    if (mode === 'heatmap') {
      const s = await p.evaluate(() => window.fleetlab.fleet.stats());
      assert.equal(s.busiest.length, 3);
      assert.equal(s.idlest.length, 3);
      assert.ok(s.busiest[0].util >= s.idlest[0].util);
      assert.equal(s.histogram.reduce((a, b) => a + b, 0), s.ready);
      assert.equal(Object.values(s.counts).reduce((a, b) => a + b, 0), n);
    }
    // a click on a cell selects the instance under it (the first row of the grid is id 0's)
    const g = await p.evaluate(() => { const g = window.fleetlab.fleet.g; return { x: g.offX + g.cell / 2, y: g.offY + g.cell / 2 }; });
    await p.locator('#fleet').click({ position: g });
    assert.equal(await p.evaluate(() => window.fleetlab.fleet.selected), 0);
    await closeInspector(p);
    await p.locator('.canvas-wrap').screenshot({ path: join(dir, `fleet-${n}.png`) });
    await p.close();
  }
});
