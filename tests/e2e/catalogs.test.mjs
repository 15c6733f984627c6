// The message catalogs (no browser needed): both languages have the same keys, the same
// placeholders in each string, the same field entries and name lists; every key the JS asks
// for exists; the Chinese catalog holds no English beyond proper names and identifiers, the
// English one no Chinese.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './server.mjs';
import { englishWords } from './words.mjs';

const dir = join(root, 'www', 'i18n');
const load = (f) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const en = load('en.json');
const zh = load('zh-CN.json');
const fen = load('fields.en.json');
const fzh = load('fields.zh-CN.json');
const holes = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('both UI catalogs have the same keys and the same placeholders', () => {
  assert.deepEqual(Object.keys(zh).filter((k) => !(k in en)), [], 'keys only in zh-CN.json');
  assert.deepEqual(Object.keys(en).filter((k) => !(k in zh)), [], 'keys only in en.json');
  for (const k of Object.keys(en)) assert.deepEqual(holes(zh[k]), holes(en[k]), `placeholders of ${k}`);
  for (const k of Object.keys(en)) {
    // separators may be blank (a space in English, nothing in Chinese); sentences may not
    if (!k.startsWith('sep.') && !k.endsWith('_sep') && k !== 'hpa.sep') assert.ok(en[k].trim() && zh[k].trim(), `${k} is empty`);
    if (k.endsWith('.one')) assert.ok(`${k.slice(0, -4)}.other` in en, `${k} without its .other`);
  }
});

test('both field catalogs have the same entries, with label, help and names', () => {
  assert.deepEqual(Object.keys(fzh).sort(), Object.keys(fen).sort());
  for (const [p, e] of Object.entries(fen)) {
    const z = fzh[p];
    assert.ok(e.label && e.help && z.label && z.help, p);
    assert.deepEqual(Object.keys(z.names ?? {}).sort(), Object.keys(e.names ?? {}).sort(), `names of ${p}`);
  }
});

test('every balancer the core names has its explanation (the page shows algo.<name> next to the picker)', () => {
  const names = Object.keys(fen['balancer.algorithm'].names);
  assert.ok(names.length >= 13, `names: ${names}`);
  for (const n of names) assert.ok(en[`algo.${n}`] && zh[`algo.${n}`], `algo.${n}`);
});

test('every literal key the JS asks for is in the catalog', () => {
  const www = join(root, 'www');
  const missing = [];
  for (const f of readdirSync(www).filter((x) => x.endsWith('.js'))) {
    const src = readFileSync(join(www, f), 'utf8');
    for (const m of src.matchAll(/\bt(?:\.plural)?\(\s*'([\w.]+)'/g)) {
      const k = m[1];
      if (!(k in en) && !(`${k}.other` in en)) missing.push(`${f}: ${k}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("every text the fleet canvas draws is a catalog key, its English default the catalog's", async () => {
  // the canvas falls back to its own English (fleet-view.js's EN) only for a page without
  // catalogs; the page's catalogs must hold every one of its keys, in both languages
  const { EN } = await import(join(root, 'www', 'fleet-view.js'));
  for (const [k, v] of Object.entries(EN)) {
    assert.ok(k in en && k in zh, `${k} is in both catalogs`);
    assert.equal(en[k], v, `en ${k}`);
  }
});

test('the Chinese catalog is Chinese and the English one English', () => {
  const strip = (s) => String(s).replace(/\{\w+\}/g, '').replace(/--[\w-]+/g, '');
  for (const [k, v] of Object.entries(zh)) assert.deepEqual(englishWords(strip(v)), [], `zh-CN ${k}: ${v}`);
  for (const [p, e] of Object.entries(fzh)) {
    for (const v of [e.label, e.help, ...Object.values(e.names ?? {})]) assert.deepEqual(englishWords(strip(v)), [], `zh-CN ${p}: ${v}`);
  }
  const cjk = /[\u4e00-\u9fff]/;
  for (const [k, v] of Object.entries(en)) assert.doesNotMatch(v, cjk, `en ${k}`);
  for (const [p, e] of Object.entries(fen)) assert.doesNotMatch(JSON.stringify(e), cjk, `en ${p}`);
});

test("the Chinese catalog uses the article's terms", () => {
  const all = JSON.stringify(zh) + JSON.stringify(fzh);
  for (const term of ['实例数 N', '总负载 L', '单实例处理能力 C', '服务注册与发现', '负载均衡', '弹性伸缩', '轮询', '加权轮询', '随机', '最少连接', '一致性哈希', '租约', '心跳', '剔除', '自我保护']) {
    assert.ok(all.includes(term), `zh-CN uses ${term}`);
  }
});
