// `make bench`, browser half: the same two workloads as benches/engine.rs, run through the
// wasm build in headless Chromium, with the wasm/native ratio; then the page's own frame time
// (simulation advance + drawing) at N=1,000, L=100,000 req/s.
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser } from './harness.mjs';

const workloads = [
  { name: 'a: N=5 L=450 C=100 round_robin 20000 s', scenario: { duration_s: 20000, traffic: { rate_rps: 450 }, instances: { count: 5, capacity_rps: 100 } } },
  { name: 'b: N=10000 L=1000000 C=110 round_robin 10 s', scenario: { duration_s: 10, traffic: { rate_rps: 1000000 }, instances: { count: 10000, capacity_rps: 110 } } },
];

const native = JSON.parse(await readFile('target/bench/native.json', 'utf8'));
const server = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  // A blank same-origin page (the server's 404), so the page's own simulation does not compete.
  await page.goto(`${server.url}__blank`);
  for (const w of workloads) {
    const r = await page.evaluate(async (scenario) => {
      const { default: init, Simulation } = await import('/pkg/fleetlab.js');
      await init();
      const rates = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const sim = new Simulation(scenario);
        sim.run_to_end();
        const s = sim.summary();
        const secs = (performance.now() - t0) / 1000;
        rates.push([s.requests.arrived / secs, s.events_processed / secs]);
        sim.free();
      }
      rates.sort((x, y) => x[0] - y[0]);
      return rates[1];
    }, w.scenario);
    const n = native.find((x) => x.name === w.name);
    const ratio = r[0] / n.requests_per_s;
    console.log(`wasm   ${w.name.padEnd(48)} ${(r[0] / 1e6).toFixed(2).padStart(6)} M requests/s  ${(r[1] / 1e6).toFixed(2).padStart(6)} M events/s  wasm/native ${ratio.toFixed(2)}`);
  }

  // The page at N=1,000, L=100,000 req/s, C=110, 1× speed: median frame work time.
  const scenario = { instances: { count: 1000, capacity_rps: 110 }, traffic: { rate_rps: 100000 } };
  const framePage = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  await framePage.goto(`${server.url}#scenario=${encodeURIComponent(JSON.stringify(scenario))}`);
  await framePage.waitForFunction(() => window.fleetlab?.frameTimes?.length >= 300, null, { timeout: 60000 });
  const times = await framePage.evaluate(() => window.fleetlab.frameTimes.slice(-300));
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const p95 = times[Math.floor(times.length * 0.95)];
  console.log(`page   N=1000 L=100000 C=110 frame work (advance + draw): median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms over ${times.length} frames`);
} finally {
  await browser.close();
  server.stop();
}
