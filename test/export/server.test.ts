import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveUnder, startServer } from '../../src/export/server.js';
import { writeTintemJson } from '../../src/export/exporter.js';
import { sha256 } from '../../src/util/hash.js';
import { UserError } from '../../src/util/errors.js';

async function fixture(): Promise<{ web: string; model: string }> {
  const root = mkdtempSync(join(tmpdir(), 'tintem-serve-'));
  const web = join(root, 'web'), model = join(root, 'model');
  mkdirSync(web); mkdirSync(model);
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(web, 'app.js'), 'console.log(1)');
  const weights = Buffer.from([1, 2, 3, 4]);
  writeFileSync(join(model, 'weights.bin'), weights);
  // A sealed tintem.json listing the weights: the server verifies the export before serving it.
  await writeTintemJson(model, {
    format: 'tintem-student', formatVersion: 2, tintemVersion: '0', inputSize: 8, channels: 1, embedDim: 2, tokenGrid: 0, student: {},
    teacher: { id: 't' }, method: 'm', outputs: ['pooled'], preprocessing: {}, files: { 'weights.bin': { sha256: sha256(weights), bytes: 4 } },
  });
  writeFileSync(join(model, '.secret'), 'hidden');
  writeFileSync(join(root, 'outside.txt'), 'outside');
  return { web, model };
}

/** A raw request (no client-side path normalisation), so traversal attempts reach the server as written. */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('resolveUnder keeps paths inside the root and refuses hidden files', () => {
  assert.equal(resolveUnder('/srv/x', 'a/b.json'), '/srv/x/a/b.json');
  assert.equal(resolveUnder('/srv/x', '../y'), undefined);
  assert.equal(resolveUnder('/srv/x', '%2e%2e/y'), undefined);
  assert.equal(resolveUnder('/srv/x', 'a/..%2F..%2Fy'), undefined);
  assert.equal(resolveUnder('/srv/x', '.git/config'), undefined);
  assert.equal(resolveUnder('/srv/x', 'a%00b'), undefined);
  assert.equal(resolveUnder('/srv/x', '%E0%A4%A'), undefined);
});

test('server: page and model files on loopback with a same-origin CSP; no traversal, no listing, GET/HEAD only', async () => {
  const { web, model } = await fixture();
  const server = await startServer({ modelDir: model, webDir: web, port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(server.port, '/');
    assert.equal(page.status, 200);
    assert.equal(page.body, '<!doctype html><title>t</title>');
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /connect-src 'self'/);
    assert.equal((await get(server.port, '/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
    const meta = await get(server.port, '/model/tintem.json');
    assert.equal(meta.status, 200);
    assert.equal(meta.headers['content-type'], 'application/json');
    assert.equal((await get(server.port, '/model/weights.bin')).headers['content-length'], '4');
    const head = await get(server.port, '/model/weights.bin', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    for (const path of ['/model/../outside.txt', '/model/%2e%2e/outside.txt', '/model/..%2foutside.txt', '/../outside.txt', '/model/.secret', '/model/', '/nope.js']) {
      assert.equal((await get(server.port, path)).status, 404, path);
    }
    assert.equal((await get(server.port, '/model/tintem.json', 'POST')).status, 405);
    await assert.rejects(() => startServer({ modelDir: model, webDir: web, port: server.port }), (e: unknown) => e instanceof UserError && /--port \d+: already in use/.test(e.message));
  } finally {
    await server.close();
  }
  await assert.rejects(() => startServer({ modelDir: web, webDir: web, port: 0 }), (e: unknown) => e instanceof UserError && /no tintem\.json there/.test(e.message));
  await assert.rejects(() => startServer({ modelDir: model, webDir: model, port: 0 }), (e: unknown) => e instanceof UserError && /no index\.html/.test(e.message));
  // a replaced file or an edited tintem.json is refused before serving
  writeFileSync(join(model, 'weights.bin'), Buffer.from([1, 2, 3, 5]));
  await assert.rejects(() => startServer({ modelDir: model, webDir: web, port: 0 }), (e: unknown) => e instanceof UserError && /weights\.bin: SHA-256 mismatch/.test(e.message));
  writeFileSync(join(model, 'weights.bin'), Buffer.from([1, 2, 3, 4]));
  const metaPath = join(model, 'tintem.json');
  writeFileSync(metaPath, readFileSync(metaPath, 'utf8').replace('"inputSize": 8', '"inputSize": 16'));
  await assert.rejects(() => startServer({ modelDir: model, webDir: web, port: 0 }), (e: unknown) => e instanceof UserError && /tintem\.json: seal mismatch/.test(e.message));
});

test('server gzips text and JSON for clients that accept it', async () => {
  const { web, model } = await fixture();
  writeFileSync(join(model, 'gallery.json'), JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ source: `set#${i}` })) }));
  const server = await startServer({ modelDir: model, webDir: web, port: 0 });
  try {
    const res = await fetch(`${server.url}model/gallery.json`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.ok(Number(res.headers.get('content-length')) < 1000, 'compressed well below the 4.6 KB original');
    assert.equal((await res.json() as { items: unknown[] }).items.length, 200);
    const plain = await get(server.port, '/model/gallery.json');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(JSON.parse(plain.body).items.length, 200);
  } finally {
    await server.close();
  }
});
