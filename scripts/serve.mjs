// Serves www/ on 127.0.0.1 (HOST and PORT override 127.0.0.1:8080) with the right MIME types,
// .wasm included. No dependencies: node's own http module.
//
// Hardened because it may be reached by more than the developer's browser:
// - GET and HEAD only (405 otherwise);
// - only files whose real path (symlinks resolved) is inside the real path of www/;
// - the security headers on every response, errors and 304s included;
// - precompressed siblings (x.br, x.gz, written by scripts/precompress.mjs) when the client
//   accepts them and they are at least as new as x, so the ~550 KB wasm goes out as ~200 KB.
// WWW_ROOT overrides the served directory; it exists for tests/e2e/serve.test.mjs.
import { createServer, STATUS_CODES } from 'node:http';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = await realpath(process.env.WWW_ROOT || fileURLToPath(new URL('../www', import.meta.url)));
const port = Number(process.env.PORT || 8080);
const host = process.env.HOST || '127.0.0.1';
// Longer than any path under www/ can be; Node itself answers 431 past its 16 KB header limit.
const MAX_URL = 2048;

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.yaml': 'application/yaml',
};

const security = {
  // 'wasm-unsafe-eval' lets the page compile its wasm; inline styles are set by the charts.
  'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** A plain-text answer for every non-200 status; HEAD gets the headers only. */
function fail(req, res, status, extra = {}) {
  const body = `${STATUS_CODES[status]}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The real path of `path` if it exists and lies inside the real www/, else null. */
async function inside(path) {
  const real = await realpath(path).catch(() => null);
  return real && (real === root || real.startsWith(root + sep)) ? real : null;
}

/** The real path and stats of the regular file a URL path names (a directory means its index.html), or null. */
async function locate(urlPath) {
  let real = await inside(join(root, urlPath));
  let info = real && await stat(real);
  if (info?.isDirectory()) {
    real = await inside(join(real, 'index.html'));
    info = real && await stat(real);
  }
  return info?.isFile() ? { real, info } : null;
}

/** Whether Accept-Encoding allows `coding`, and its weight: an explicit entry wins over `*`; q=0 refuses. */
function weight(acceptEncoding, coding) {
  let star = 0;
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) || 0 : 1;
    if (name === coding) return q;
    if (name === '*') star = q;
  }
  return star;
}

/** The best precompressed sibling the client accepts that is as new as the source: br on a tie. */
async function pickEncoding(req, real, info) {
  const accept = req.headers['accept-encoding'] || '';
  const candidates = [['br', '.br'], ['gzip', '.gz']]
    .map(([coding, suffix]) => ({ coding, suffix, q: weight(accept, coding) }))
    .filter((c) => c.q > 0)
    .sort((a, b) => b.q - a.q); // stable: br stays first when the weights are equal
  for (const c of candidates) {
    // The sibling must itself be inside www/: it could be a symlink too.
    const sibling = await inside(real + c.suffix);
    const sInfo = sibling && await stat(sibling);
    if (sInfo?.isFile() && sInfo.mtimeMs >= info.mtimeMs) return { coding: c.coding, path: sibling, info: sInfo };
  }
  return { coding: null, path: real, info };
}

async function handle(req, res) {
  for (const [k, v] of Object.entries(security)) res.setHeader(k, v);
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(req, res, 405, { Allow: 'GET, HEAD' });
  if (req.url.length > MAX_URL) return fail(req, res, 414);

  let urlPath;
  try {
    // new URL also accepts the absolute form (GET http://host/x) and drops the query.
    urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  } catch {
    return fail(req, res, 400);
  }
  // Decoding can bring back what URL parsing already removed (%2f.., %00): refuse it outright
  // rather than rely on join() and the realpath check alone.
  if (urlPath.includes('\0') || urlPath.split(/[\\/]/).includes('..')) return fail(req, res, 400);

  const found = await locate(urlPath);
  if (!found) return fail(req, res, 404);
  const { real, info } = found;
  const chosen = await pickEncoding(req, real, info);
  // One ETag per representation: the compressed and identity bytes differ.
  const etag = `"${chosen.info.size.toString(16)}-${Math.floor(chosen.info.mtimeMs).toString(16)}${chosen.coding ? `-${chosen.coding}` : ''}"`;
  const headers = {
    'Content-Type': types[extname(real)] || 'application/octet-stream',
    'Cache-Control': 'no-cache',
    'Vary': 'Accept-Encoding',
    'ETag': etag,
    'Last-Modified': info.mtime.toUTCString(),
  };
  if (chosen.coding) headers['Content-Encoding'] = chosen.coding;

  const inm = req.headers['if-none-match'];
  const ims = Date.parse(req.headers['if-modified-since'] ?? '');
  const fresh = inm !== undefined
    ? inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')
    : Math.floor(info.mtimeMs / 1000) <= Math.floor(ims / 1000);
  if (fresh) {
    res.writeHead(304, headers).end();
    return;
  }
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'Content-Length': chosen.info.size }).end();
    return;
  }
  const body = await readFile(chosen.path);
  res.writeHead(200, { ...headers, 'Content-Length': body.length }).end(body);
}

const server = createServer((req, res) => {
  handle(req, res).catch((e) => {
    console.error(`serve: ${req.method} ${req.url}: ${e.message}`);
    if (!res.headersSent) fail(req, res, 500);
    else res.destroy();
  });
});

// Malformed requests and oversized headers never reach the handler: Node answers them itself,
// without our headers. Answer the same statuses, with the headers.
server.on('clientError', (err, socket) => {
  if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = `${STATUS_CODES[status]}\n`;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, 'Connection: close',
    'Content-Type: text/plain; charset=utf-8', `Content-Length: ${body.length}`,
    ...Object.entries(security).map(([k, v]) => `${k}: ${v}`)];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
});

server.on('error', (e) => {
  console.error(`serve: cannot listen on ${host}:${port}: ${e.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`fleetlab is at http://${host.includes(':') ? `[${host}]` : host}:${port}/`);
});
