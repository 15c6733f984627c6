// The static server (scripts/serve.mjs) on its own, without a browser or the wasm build:
//   node --test tests/e2e/serve.test.mjs
// It serves a temporary copy of a few page files (WWW_ROOT) precompressed by
// scripts/precompress.mjs, beside a secret file and symlinks that lead out of the root.
// Requests go through node:http so the raw path and the raw (compressed) bytes are what we see.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { root, startServer } from './server.mjs';

const SECRET = 'fleetlab-serve-test-secret';
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'";

let tmp; // tmp/package.json (secret), tmp/outside/ (secret), tmp/www/ (served)
let www;
let server;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetlab-serve-'));
  www = join(tmp, 'www');
  mkdirSync(join(www, 'sub'), { recursive: true });
  mkdirSync(join(tmp, 'outside'));
  writeFileSync(join(tmp, 'package.json'), `{"name": "${SECRET}"}`);
  writeFileSync(join(tmp, 'outside', 'secret.txt'), SECRET);
  for (const f of ['index.html', 'main.js', 'style.css', 'favicon.svg']) copyFileSync(join(root, 'www', f), join(www, f));
  writeFileSync(join(www, 'sub', 'index.html'), '<!doctype html><title>sub</title>');
  writeFileSync(join(www, 'small.js'), 'export const x = 1;\n'); // under 1 KB: not compressed
  symlinkSync(join(tmp, 'outside', 'secret.txt'), join(www, 'leak.txt'));
  symlinkSync(join(tmp, 'outside'), join(www, 'leakdir'));
  symlinkSync('main.js', join(www, 'alias.js')); // inside the root: allowed
  execFileSync(process.execPath, [join(root, 'scripts/precompress.mjs'), www]);
  server = await startServer({ WWW_ROOT: www });
});

after(() => {
  server?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** One raw request to the server: { status, headers, body: Buffer } with nothing decoded. */
function get(path, { method = 'GET', headers = {} } = {}) {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

function assertSecurityHeaders(r, what) {
  assert.equal(r.headers['content-security-policy'], CSP, `${what}: CSP`);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(r.headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
  assert.ok(r.headers['content-type'] || r.status === 304, `${what}: Content-Type`);
}

const original = (name) => readFileSync(join(www, name));

test('precompress writes .gz and .br for files of 1 KB or more, skips small files and symlinks, and is idempotent', () => {
  for (const f of ['index.html', 'main.js', 'style.css']) {
    assert.deepEqual(gunzipSync(original(`${f}.gz`)), original(f), `${f}.gz`);
    assert.deepEqual(brotliDecompressSync(original(`${f}.br`)), original(f), `${f}.br`);
  }
  for (const f of ['small.js', 'sub/index.html', 'leak.txt', 'alias.js']) {
    assert.throws(() => statSync(join(www, `${f}.gz`)), `${f}.gz must not exist`);
  }
  const before = statSync(join(www, 'main.js.br')).mtimeMs;
  const out = execFileSync(process.execPath, [join(root, 'scripts/precompress.mjs'), www], { encoding: 'utf8' });
  assert.match(out, /0 file\(s\) written/);
  assert.equal(statSync(join(www, 'main.js.br')).mtimeMs, before);
});

test('methods other than GET and HEAD get 405 with Allow', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    const r = await get('/index.html', { method });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, 'GET, HEAD', method);
    assertSecurityHeaders(r, `${method} 405`);
    assert.ok(!r.body.includes('<html'), `${method} must not return the page`);
  }
});

test('symlinks that lead outside the root are not followed', async () => {
  for (const path of ['/leak.txt', '/leakdir/secret.txt', '/leakdir/']) {
    const r = await get(path);
    assert.ok(r.status === 404 || r.status === 403, `${path}: ${r.status}`);
    assert.ok(!r.body.includes(SECRET), `${path} leaked the file`);
    assertSecurityHeaders(r, `${path} ${r.status}`);
  }
  // A symlink that stays inside the root is served.
  const r = await get('/alias.js');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, original('main.js'));
});

test('traversal attempts never return a file outside the root', async () => {
  const paths = ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e%2fpackage.json',
    '/..%5cpackage.json', '/sub/..%2f..%2fpackage.json', '/%2E%2E/%2E%2E/package.json', '//../package.json',
    '/leakdir/..%2f..%2fpackage.json', 'http://127.0.0.1/../package.json', '/./../outside/secret.txt'];
  for (const path of paths) {
    const r = await get(path);
    assert.notEqual(r.status, 200, path);
    assert.ok(!r.body.includes(SECRET), `${path} leaked the file`);
    assertSecurityHeaders(r, `${path} ${r.status}`);
  }
});

test('bad paths: percent-decoding errors and NUL bytes give 400, over-long URLs 414 or 431', async () => {
  for (const path of ['/%E0%A4%A', '/%', '/main.js%00', '/main.js%00.png']) {
    const r = await get(path);
    assert.equal(r.status, 400, path);
    assertSecurityHeaders(r, `${path} 400`);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  }
  const r414 = await get(`/${'a'.repeat(3000)}`);
  assert.equal(r414.status, 414);
  assertSecurityHeaders(r414, '414');
  // Past Node's 16 KB header limit the parser itself refuses the request (clientError).
  const r431 = await get(`/${'a'.repeat(20000)}`);
  assert.equal(r431.status, 431);
  assertSecurityHeaders(r431, '431');
});

test('security headers on 200, 404, 405, 400 and 304', async () => {
  const ok = await get('/');
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['content-type'], 'text/html; charset=utf-8');
  assert.deepEqual(ok.body, original('index.html'));
  assertSecurityHeaders(ok, '200');
  const missing = await get('/no-such-file.js');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['content-type'], 'text/plain; charset=utf-8');
  assertSecurityHeaders(missing, '404');
  assertSecurityHeaders(await get('/', { method: 'POST' }), '405');
  assertSecurityHeaders(await get('/%'), '400');
  const again = await get('/main.js', { headers: { 'If-None-Match': ok.headers.etag } });
  assert.equal(again.status, 200, 'another file’s ETag does not match');
  const first = await get('/main.js');
  const cached = await get('/main.js', { headers: { 'If-None-Match': first.headers.etag } });
  assert.equal(cached.status, 304);
  assert.equal(cached.body.length, 0);
  assertSecurityHeaders(cached, '304');
  const since = await get('/main.js', { headers: { 'If-Modified-Since': first.headers['last-modified'] } });
  assert.equal(since.status, 304);
});

test('Accept-Encoding picks the precompressed file, which decompresses to the original bytes', async () => {
  for (const name of ['main.js', 'index.html']) {
    const identity = await get(`/${name}`);
    assert.equal(identity.headers['content-encoding'], undefined);
    assert.deepEqual(identity.body, original(name), `${name} identity`);

    const br = await get(`/${name}`, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    assert.equal(br.headers['content-encoding'], 'br', `${name}: br is preferred`);
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.equal(br.headers['content-type'], identity.headers['content-type']);
    assert.equal(Number(br.headers['content-length']), br.body.length);
    assert.ok(br.body.length < identity.body.length);
    assert.deepEqual(brotliDecompressSync(br.body), original(name), `${name} br`);
    assert.notEqual(br.headers.etag, identity.headers.etag, 'one ETag per representation');

    const gz = await get(`/${name}`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(Number(gz.headers['content-length']), gz.body.length);
    assert.deepEqual(gunzipSync(gz.body), original(name), `${name} gzip`);
  }
  const coding = async (ae) => (await get('/main.js', { headers: { 'Accept-Encoding': ae } })).headers['content-encoding'];
  assert.equal(await coding('br;q=0, gzip'), 'gzip');
  assert.equal(await coding('gzip;q=1.0, br;q=0.5'), 'gzip');
  assert.equal(await coding('gzip;q=0, br;q=0'), undefined);
  assert.equal(await coding('*'), 'br');
  assert.equal(await coding('*, br;q=0'), 'gzip');
  assert.equal(await coding('*;q=0'), undefined);
  assert.equal(await coding('identity'), undefined);
  assert.equal(await coding('deflate'), undefined);
  // A file without a sibling comes back as it is.
  const small = await get('/small.js', { headers: { 'Accept-Encoding': 'br, gzip' } });
  assert.equal(small.headers['content-encoding'], undefined);
  assert.deepEqual(small.body, original('small.js'));
});

test('a sibling older than its source is ignored', async () => {
  const css = join(www, 'style.css');
  const future = new Date(Date.now() + 60_000);
  utimesSync(css, future, future);
  const r = await get('/style.css', { headers: { 'Accept-Encoding': 'br, gzip' } });
  assert.equal(r.headers['content-encoding'], undefined);
  assert.deepEqual(r.body, original('style.css'));
});

test('HEAD sends the headers of GET and no body', async () => {
  for (const ae of ['', 'br', 'gzip']) {
    const g = await get('/main.js', { headers: { 'Accept-Encoding': ae } });
    const h = await get('/main.js', { method: 'HEAD', headers: { 'Accept-Encoding': ae } });
    assert.equal(h.status, 200);
    assert.equal(h.body.length, 0);
    assert.equal(h.headers['content-length'], g.headers['content-length'], `HEAD ${ae || 'identity'}`);
    assert.equal(h.headers['content-encoding'], g.headers['content-encoding']);
    assertSecurityHeaders(h, 'HEAD');
  }
  const h404 = await get('/nope', { method: 'HEAD' });
  assert.equal(h404.status, 404);
  assert.equal(h404.body.length, 0);
});

test('the default root is www/ and it listens on 127.0.0.1', async () => {
  const s = await startServer();
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await fetch(`${s.url}main.js`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), readFileSync(join(root, 'www/main.js'), 'utf8'));
    const pkg = await fetch(`${s.url}..%2fpackage.json`);
    assert.notEqual(pkg.status, 200);
  } finally {
    s.stop();
  }
});
