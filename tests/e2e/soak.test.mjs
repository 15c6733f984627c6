// Soak test of the wasm facade in headless Chromium, apart from the page's UI: a blank page of
// the server's origin imports the wasm package and drives `Simulation` with thousands of
// random calls from a seeded generator — wrong types, NaN, huge and negative numbers, ids out
// of range, edit paths that do not exist, breakpoints, seeks and steps. It must never trap
// (no WebAssembly.RuntimeError: a trap would leave the module unusable), every refusal must
// be a plain Error carrying the `field` it concerns, every summary must conserve requests,
// and afterwards the simulation must still advance. Seeded, so a failure replays exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startServer } from './harness.mjs';

const SEED = 0x50a7;
const SIMULATIONS = Number(process.env.SOAK_SIMULATIONS ?? 6);
const CALLS = Number(process.env.SOAK_CALLS ?? 700);

test('the wasm Simulation survives thousands of random calls without a trap', { timeout: 120000 }, async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  const problems = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // A blank document of the server's own origin (the app's page is not involved).
    const blank = new URL('/soak-blank.html', server.url).href;
    await page.route(blank, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>soak</title>' }));
    await page.goto(blank);
    const report = await page.evaluate(async ({ seed, simulations, calls }) => {
      const m = await import('/pkg/fleetlab.js');
      const exports = await m.default();
      // mulberry32: a small seeded generator.
      let a = seed >>> 0;
      const rand = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const pick = (xs) => xs[Math.floor(rand() * xs.length)];
      const odd = [NaN, Infinity, -Infinity, -1, 0, -0, 0.5, 1, 3, 7, 2 ** 31, 2 ** 32, 2 ** 53 + 2, 1e308, -1e308, 1e-300,
        'abc', '12', '', ' 3.5', '1e3', 'NaN', true, false, null, undefined, {}, [], [1, 2], { kind: 'hpa' },
        { kind: 'formula', min_replicas: 5, max_replicas: 1 }, { algorithm: 'maglev' }, { algorithm: 'least_connections' },
        { heartbeat_s: 0.01, ttl_s: 0.02 }, 'crash', 'slow', 'partition', 'recover', 'event', 'second', 'sync',
        'uniform', 'zipf', ['evicted', 'scaled'], ['bogus'], 'round_robin'];
      const small = [NaN, -1, 0, 0.001, 0.1, 0.5, 1, 2, 'abc', null, undefined, {}];
      const paths = ['instances.count', 'traffic.rate_rps', 'instances.capacity_rps', 'instances.queue_limit',
        'instances.startup_s', 'traffic.keys', 'traffic.zipf_s', 'balancer', 'balancer.algorithm',
        'balancer.choice_count', 'balancer.retries', 'autoscaler', 'autoscaler.kind', 'autoscaler.max_replicas',
        'registry', 'registry.ttl_s', 'registry.heartbeat_s', 'registry.refresh_s', 'instances.overrides[]',
        'nowhere', 'seed', 'faults[0].at_s', '', 'balancer.nope', 'autoscaler.behavior.scale_up.policies', 7, null];
      const budget = () => pick([1, 10, 1000, 20000, NaN, -5, 1e308]);
      // Each method with how its arguments are drawn; advance and run_to_end, which have no
      // event budget, only get short spans.
      const methods = {
        advance: () => [pick(small)],
        advance_budget: () => [pick(odd), Math.min(20000, Math.abs(+pick([1, 100, 20000, 1e308])) || 1)],
        step: () => [pick(odd)],
        seek: () => [pick(odd), pick([1, 1000, 20000])],
        set_breakpoints: () => [pick([['evicted'], ['scaled', 'kept'], [], ['bogus'], 'scaled', 5, null, {}])],
        take_break: () => [],
        edit: () => [pick(paths), pick(odd)],
        set_instances: () => [pick(odd)],
        set_load: () => [pick(odd)],
        set_capacity: () => [pick(odd)],
        set_keys: () => [pick(odd), pick(odd), pick(odd)],
        set_balancer: () => [pick(odd)],
        set_autoscaler: () => [pick(odd)],
        set_registry: () => [pick(odd)],
        set_instance: () => [pick(odd), pick(odd), pick(odd)],
        fault: () => [pick(odd), pick(odd), pick(odd)],
        refresh_view: () => [pick(odd)],
        key_owners: () => [pick([NaN, -1, 0, 10, 2 ** 32, 1e308, 'abc'])],
        log_since: () => [pick(odd)],
        summary: () => [], details: () => [], explain: () => [], description: () => [], scenario: () => [],
        timeline: () => [], timeline_total: () => [],
      };
      const names = Object.keys(methods);
      const out = { calls: 0, refused: 0, traps: [], unnamed: [], notErrors: [], conservation: [], stuck: [], slow: [], maxMemory: 0 };
      const starts = [undefined, {}, { traffic: { rate_rps: 2000, keys: 50 }, balancer: { algorithm: 'ring_hash' } },
        { autoscaler: { kind: 'hpa', min_replicas: 1, max_replicas: 50 }, instances: { startup_s: 2 } },
        { registry: { heartbeat_s: 0.5, ttl_s: 1, refresh_s: 2 }, balancer: { algorithm: 'shared_queue' } },
        { traffic: { rate_rps: 100, changes: [{ at_s: 1, rate_rps: 1e-300 }] } }];
      const check = (e, where) => {
        if (e instanceof WebAssembly.RuntimeError) out.traps.push(`${where}: ${e.message}`);
        else if (!(e instanceof Error)) out.notErrors.push(`${where}: ${String(e)}`);
        else if (typeof e.field !== 'string') out.unnamed.push(`${where}: ${e.message}`);
      };
      for (let s = 0; s < simulations; s++) {
        // Constructors refuse what is not a scenario with a named Error.
        for (const bad of [5, 'x', [42, 10], { duration_s: -1 }, { instances: { count: 1e9 } }]) {
          try { new m.Simulation(bad).free(); out.notErrors.push(`new Simulation(${JSON.stringify(bad)}) accepted`); } catch (e) { check(e, 'new'); }
        }
        const sim = new m.Simulation(starts[s % starts.length]);
        for (let i = 0; i < calls; i++) {
          const name = pick(names);
          const args = methods[name]();
          const where = `sim ${s} call ${i}: ${name}(${args.map((x) => { try { return JSON.stringify(x); } catch { return String(x); } }).join(', ')})`;
          out.calls++;
          const t0 = performance.now();
          try {
            sim[name](...args);
          } catch (e) {
            out.refused++;
            check(e, where);
          }
          const took = performance.now() - t0;
          if (took > 1000) out.slow.push(`${where}: ${Math.round(took)} ms`);
          if (i % 50 === 0) {
            const r = sim.summary().requests;
            if (r.arrived !== r.completed + r.dropped + r.failed + r.in_flight) out.conservation.push(`${where}: ${JSON.stringify(r)}`);
          }
        }
        // Still alive: with breakpoints cleared, time and events move on.
        sim.set_breakpoints([]);
        const before = sim.now_s;
        const events = sim.events_processed;
        sim.advance_budget(5, 200000);
        if (!(sim.now_s > before) || !(sim.events_processed > events)) out.stuck.push(`sim ${s}: ${before} -> ${sim.now_s}`);
        const r = sim.summary().requests;
        if (r.arrived !== r.completed + r.dropped + r.failed + r.in_flight) out.conservation.push(`sim ${s} end: ${JSON.stringify(r)}`);
        out.maxMemory = Math.max(out.maxMemory, exports.memory.buffer.byteLength);
        sim.free();
      }
      return out;
    }, { seed: SEED, simulations: SIMULATIONS, calls: CALLS });
    for (const line of report.slow) console.log(`slow: ${line}`);
    console.log(`soak: ${report.calls} calls, ${report.refused} refused, wasm memory ${(report.maxMemory / 2 ** 20).toFixed(1)} MiB`);
    assert.deepEqual(report.traps, [], 'no call traps');
    assert.deepEqual(report.notErrors, [], 'every refusal is an Error');
    assert.deepEqual(report.unnamed, [], 'every Error names its field');
    assert.deepEqual(report.conservation, [], 'arrived = completed + dropped + failed + in_flight');
    assert.deepEqual(report.stuck, [], 'the simulation still advances');
    assert.ok(report.refused > report.calls / 10, `${report.refused} of ${report.calls} refused: the calls are odd enough`);
    assert.ok(report.maxMemory < 512 * 2 ** 20, `wasm memory ${report.maxMemory}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    server.stop();
  }
});
