// Starts scripts/serve.mjs on a free port; kept apart from harness.mjs so that tests of the
// server alone (serve.test.mjs) need no npm packages.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** One attempt on a random port in 18000-19999; rejects if the server exits first (port taken). */
function startOnce(env) {
  return new Promise((ok, fail) => {
    const port = 18000 + Math.floor(Math.random() * 2000);
    const p = spawn(process.execPath, [join(root, 'scripts/serve.mjs')], {
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => { p.kill(); fail(new Error(`server did not start: ${out}`)); }, 10000);
    p.stdout.on('data', (d) => {
      out += d;
      const m = /fleetlab is at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1], port, stop: () => p.kill() });
      }
    });
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited ${code}: ${out}`)); });
  });
}

/**
 * Starts the page's server (extra environment in `env`, e.g. WWW_ROOT); resolves to
 * { url, port, stop() } once it listens. A port found taken is retried on another.
 */
export async function startServer(env = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(env);
    } catch (e) {
      if (attempt >= 5 || !/EADDRINUSE/.test(e.message)) throw e;
    }
  }
}
