// `make bench`, browser half.
// 1. wasm against native, in headless Chromium (playwright-core) and headless Firefox (geckodriver's
//    W3C WebDriver API, as firefox.test.mjs drives it). For each scenario the native CLI
//    (`target/release/fleetlab run`, user+sys CPU of the child from bash's `time`, so process
//    start-up and the JSON output count) and the wasm build in each browser (`new Simulation`,
//    `run_to_end`, `summary`, timed with performance.now()) run alternately, 3 times. Browsers
//    expose no CPU clock, so the wasm side is wall time and a loaded machine counts against it.
//    The ratio is the median wasm rate of completed requests over the median native one; goal
//    ≥ 0.75. Each browser's completed count must equal the native one (same seed, same run).
// 2. The page's own frame time (simulation advance + drawing) in Chromium at N=1,000,
//    L=100,000 req/s.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, root } from './harness.mjs';

const started = performance.now();
const REPS = 3;
const GOAL = 0.75;
const scenarios = [
  { name: 'a: N=5 round_robin 4000 s', scenario: { seed: 1, duration_s: 4000, traffic: { rate_rps: 450 }, instances: { count: 5, capacity_rps: 100 }, balancer: { algorithm: 'round_robin' } } },
  { name: 'b: N=1000 power_of_two 20 s', scenario: { seed: 1, duration_s: 20, traffic: { rate_rps: 90000 }, instances: { count: 1000, capacity_rps: 100 }, balancer: { algorithm: 'power_of_two' } } },
  { name: 'c: N=10000 random 1 s', scenario: { seed: 1, duration_s: 1, traffic: { rate_rps: 900000 }, instances: { count: 10000, capacity_rps: 100 }, balancer: { algorithm: 'random' } } },
];

const dir = join(root, 'target/bench');
mkdirSync(dir, { recursive: true });
for (const [i, s] of scenarios.entries()) {
  s.file = join(dir, `wasm-native-${i}.json`);
  writeFileSync(s.file, JSON.stringify(s.scenario));
}
execFileSync('cargo', ['build', '--release', '--quiet', '--bin', 'fleetlab'], { cwd: root, stdio: 'inherit' });

/** One native run: completed requests, the child's user+sys CPU seconds and its wall seconds. */
function runNative(file) {
  const out = join(dir, 'native-summary.json');
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%3R %3U %3S"; time "$0" run "$1" > "$2"', join(root, 'target/release/fleetlab'), file, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fleetlab run ${file}: ${r.stderr}`);
  const [wall, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { completed: JSON.parse(readFileSync(out, 'utf8')).requests.completed, secs: user + sys, wall };
}

// Both run inside the page. `load` waits for the app's page to start its wasm module (the
// server's CSP allows no inline script, so the page's own module is the way in), pauses the
// page's simulation so it does not compete, and keeps the module; `runOnce` is one timed run.
async function load() {
  if (window.__fleetlab) return null;
  const t0 = Date.now();
  while (!(window.fleetlab?.app && window.fleetlab.core?.fleetlab)) {
    if (Date.now() - t0 > 30000) return 'the page did not start in 30 s';
    await new Promise((r) => setTimeout(r, 50));
  }
  window.fleetlab.app.setPlaying(false);
  window.__fleetlab = window.fleetlab.core.fleetlab;
  return null;
}
function runOnce(scenario) {
  const t0 = performance.now();
  const sim = new window.__fleetlab.Simulation(scenario);
  sim.run_to_end();
  const completed = sim.summary().requests.completed;
  const secs = (performance.now() - t0) / 1000;
  sim.free();
  return { completed, secs };
}

async function chromiumRunner(browser, url) {
  const page = await browser.newPage();
  await page.goto(url);
  const err = await page.evaluate(load);
  if (err) throw new Error(`Chromium: loading the wasm package: ${err}`);
  return (scenario) => page.evaluate(runOnce, scenario);
}

/** Firefox through geckodriver; null (with the reason printed) when it cannot start. */
async function firefoxRunner(url) {
  const gecko = execFileSync('sh', ['-c', 'command -v geckodriver || echo $HOME/.cargo/bin/geckodriver']).toString().trim();
  // In the harness's loopback range 18000–19999, away from the page server's port.
  const port = 18000 + ((Number(new URL(url).port) - 18000 + 1000) % 2000);
  const driver = spawn(gecko, ['--host', '127.0.0.1', '--port', String(port), '--log', 'error'], { stdio: 'ignore' });
  const spawned = await new Promise((ok) => { driver.on('spawn', () => ok(true)); driver.on('error', () => ok(false)); });
  if (!spawned) {
    console.log(`Firefox: skipped, no geckodriver at ${gecko} (scripts/setup.sh test installs it)`);
    return null;
  }
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try { await fetch(`${base}/status`); break; } catch { await new Promise((r) => setTimeout(r, 200)); }
  }
  const profile = mkdtempSync(join(tmpdir(), 'fleetlab-ff-'));
  const session = await fetch(`${base}/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ capabilities: { alwaysMatch: { browserName: 'firefox', 'moz:firefoxOptions': { args: ['-headless', '-profile', profile], prefs: { 'network.proxy.type': 0 } } } } }),
  }).then((r) => r.json()).then((j) => j.value, (e) => ({ error: String(e) }));
  if (!session.sessionId) {
    driver.kill();
    rmSync(profile, { recursive: true, force: true });
    console.log(`Firefox: skipped, no WebDriver session: ${JSON.stringify(session)}`);
    return null;
  }
  const wd = `${base}/session/${session.sessionId}`;
  const call = async (method, path, body) => {
    const res = await fetch(`${wd}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    const json = await res.json();
    if (json.value?.error) throw new Error(`Firefox: ${json.value.error}: ${json.value.message}`);
    return json.value;
  };
  const close = async () => {
    await fetch(wd, { method: 'DELETE' }).catch(() => {});
    driver.kill();
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    await call('POST', '/timeouts', { script: 300000 });
    await call('POST', '/url', { url });
    const err = await call('POST', '/execute/async', { script: `const done = arguments[arguments.length - 1]; (${load})().then(done, (e) => done(String(e)));`, args: [] });
    if (err) throw new Error(`Firefox: loading the wasm package: ${err}`);
  } catch (e) {
    await close();
    throw e;
  }
  const run = (scenario) => call('POST', '/execute/sync', { script: `return (${runOnce})(arguments[0]);`, args: [scenario] });
  return { run, close };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const server = await startServer();
const browser = await launchBrowser();
let firefox = null;
try {
  // The app's page, paused: its module is the wasm build under test.
  const blank = `${server.url}#lang=en`;
  const engines = [{ name: 'chromium', run: await chromiumRunner(browser, blank) }];
  firefox = await firefoxRunner(blank);
  if (firefox) engines.push({ name: 'firefox', run: firefox.run });

  const rates = new Map();
  const mismatches = [];
  const record = (key, x) => rates.set(key, [...(rates.get(key) ?? []), x]);
  for (let rep = 0; rep < REPS; rep++) {
    for (const s of scenarios) {
      const n = runNative(s.file);
      record(`${s.name} native`, n.completed / n.secs);
      record(`${s.name} load`, n.wall / n.secs);
      record(`${s.name} native wall`, n.completed / n.wall);
      for (const e of engines) {
        const w = await e.run(s.scenario);
        record(`${s.name} ${e.name}`, w.completed / w.secs);
        if (w.completed !== n.completed) mismatches.push(`${s.name} ${e.name}: completed ${w.completed}, native ${n.completed}`);
      }
    }
  }
  console.log(`wasm/native: completed requests per second (M/s), median of ${REPS}, native and browsers alternated; goal ≥ ${GOAL}.`);
  console.log('Native: user+sys CPU of `fleetlab run`. Browsers: wall time from performance.now() (a page has no CPU clock),');
  console.log('so load on the machine counts against wasm; "native wall/CPU" shows how much wall time that load added natively.');
  console.log('"wall ratio" compares like with like: the wasm rate over the native rate by wall time, measured alternately.');
  const head = ['scenario (L = 0.9 N C, C = 100)'.padEnd(30), 'native'.padStart(7), 'wall/CPU'.padStart(9)];
  for (const e of engines) head.push(e.name.padStart(9), 'ratio'.padStart(13), 'wall ratio'.padStart(11));
  console.log(head.join(' '));
  for (const s of scenarios) {
    const native = median(rates.get(`${s.name} native`));
    const row = [s.name.padEnd(30), (native / 1e6).toFixed(2).padStart(7), median(rates.get(`${s.name} load`)).toFixed(2).padStart(9)];
    for (const e of engines) {
      const wasm = median(rates.get(`${s.name} ${e.name}`));
      const ratio = wasm / native;
      const wallRatio = wasm / median(rates.get(`${s.name} native wall`));
      row.push((wasm / 1e6).toFixed(2).padStart(9), `${ratio.toFixed(2)} ${ratio >= GOAL ? 'met' : 'MISSED'}`.padStart(13), wallRatio.toFixed(2).padStart(11));
    }
    console.log(row.join(' '));
  }
  console.log(mismatches.length ? `completed counts DIFFER from native:\n  ${mismatches.join('\n  ')}` : 'completed counts: identical to native in every run and browser');
  if (firefox) await firefox.close();
  firefox = null;

  // The page at N=1,000, L=100,000 req/s, C=110, 1× speed: median frame work time.
  const scenario = { instances: { count: 1000, capacity_rps: 110 }, traffic: { rate_rps: 100000 } };
  const framePage = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  await framePage.goto(`${server.url}#scenario=${encodeURIComponent(JSON.stringify(scenario))}`);
  await framePage.waitForFunction(() => window.fleetlab?.frameTimes?.length >= 300, null, { timeout: 60000 });
  const times = await framePage.evaluate(() => window.fleetlab.frameTimes.slice(-300));
  times.sort((a, b) => a - b);
  const median300 = times[Math.floor(times.length / 2)];
  const p95 = times[Math.floor(times.length * 0.95)];
  console.log(`page   N=1000 L=100000 C=110 frame work (advance + draw): median ${median300.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms over ${times.length} frames`);
} finally {
  if (firefox) await firefox.close();
  await browser.close();
  server.stop();
}
console.log(`browser bench took ${((performance.now() - started) / 1000).toFixed(1)} s wall`);
