// Writes x.gz (gzip level 9) and x.br (brotli quality 11) next to every compressible file x of at
// least 1 KB under www/ (or the directory given as the first argument), so scripts/serve.mjs can
// send them as they are instead of compressing on every request. Idempotent: a sibling at least
// as new as its source is kept. Node's own zlib only.
//   node scripts/precompress.mjs [dir]
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const dir = process.argv[2] || fileURLToPath(new URL('../www', import.meta.url));
const COMPRESSIBLE = new Set(['.wasm', '.js', '.mjs', '.css', '.html', '.json', '.svg', '.txt', '.csv', '.yaml']);
const MIN_BYTES = 1024; // below this the saving is smaller than a packet's worth of headers

const encoders = [
  ['.gz', (buf) => promisify(gzip)(buf, { level: 9 })],
  ['.br', (buf, ext) => promisify(brotliCompress)(buf, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_MODE]: ext === '.wasm' ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
    },
  })],
];

/** Regular files under `d`, recursively. Symlinks are skipped: they may point outside www/. */
async function* files(d) {
  for (const e of await readdir(d, { withFileTypes: true })) {
    if (e.isDirectory()) yield* files(join(d, e.name));
    else if (e.isFile()) yield join(d, e.name);
  }
}

const mtime = (p) => stat(p).then((s) => s.mtimeMs, () => -Infinity);

let written = 0;
for await (const path of files(dir)) {
  // A sibling whose source is gone (a module deleted or renamed) would still be served.
  const suffix = encoders.map(([x]) => x).find((x) => path.endsWith(x));
  if (suffix) {
    if ((await mtime(path.slice(0, -suffix.length))) === -Infinity) {
      await unlink(path);
      console.log(`precompress: removed ${relative(dir, path)} (its source is gone)`);
    }
    continue;
  }
  const ext = extname(path);
  if (!COMPRESSIBLE.has(ext)) continue;
  const source = await stat(path);
  if (source.size < MIN_BYTES) continue;
  let data = null;
  const sizes = [];
  for (const [suffix, encode] of encoders) {
    if ((await mtime(path + suffix)) >= source.mtimeMs) continue;
    data ??= await readFile(path);
    const out = await encode(data, ext);
    // Write then rename, so a running server never sends a half-written file.
    await writeFile(`${path + suffix}.tmp`, out);
    await rename(`${path + suffix}.tmp`, path + suffix);
    sizes.push(`${suffix.slice(1)} ${out.length}`);
    written++;
  }
  if (sizes.length) console.log(`precompress: ${relative(dir, path)} ${source.size} -> ${sizes.join(', ')}`);
}
console.log(`precompress: ${written} file(s) written under ${dir}`);
