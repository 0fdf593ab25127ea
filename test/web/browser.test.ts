/**
 * End-to-end: export a random-init student + gallery, serve it on 127.0.0.1, open the page in headless Chromium,
 * feed it PNGs and check the browser's embedding, neighbours and OOD call against Node's. Needs /usr/bin/chromium
 * (Debian 'chromium'); without it this test fails on purpose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { initBackend } from '../../src/backend/index.js';
import { exportStudent } from '../../src/export/exporter.js';
import { buildGallery, writeGallery } from '../../src/export/gallery.js';
import { loadStudent } from '../../src/export/load.js';
import { indexGallery, matchGallery } from '../../src/export/match.js';
import { embedImageFiles, readImageFile } from '../../src/export/decode-node.js';
import { addOnnxForms } from '../../src/export/onnx-export.js';
import { loadOnnxStudent } from '../../src/export/verify.js';
import { startServer } from '../../src/export/server.js';
import { Rng } from '../../src/util/random.js';
import { createStudent } from '../../src/students/index.js';
import { randomImages } from '../export/fixtures.js';

const CHROMIUM = process.env.TINTEM_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A PNG of seeded noise (RGB or grey) at an odd size, so the page has to resize it. */
async function writePng(path: string, width: number, height: number, channels: 1 | 3, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const bytes = Buffer.alloc(width * height * channels);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  await sharp(bytes, { raw: { width, height, channels } }).png().toFile(path);
}

/** What the page exposes per image on window.tintem.results (web/src/main.ts PageResult). */
interface BrowserResult {
  name: string; width: number; height: number; channels: number; embedding: number[];
  neighbours: Array<{ index: number; similarity: number; source: string }>;
  score: number | null; threshold: number | null; outOfDistribution: boolean | null; error?: string;
}

function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; }
  return 1 - dot / Math.sqrt(na * nb);
}

test('the web page embeds dropped images like Node (TF.js and ONNX on onnxruntime-web wasm), shows the same neighbours, and stays on 127.0.0.1', { timeout: 90_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `headless Chromium not found at ${CHROMIUM}: install Debian's 'chromium' package (apt-get install chromium) or set TINTEM_CHROMIUM`);
  const build = spawnSync(process.execPath, ['scripts/build-web.mjs', '--quiet'], { encoding: 'utf8' });
  assert.equal(build.status, 0, `scripts/build-web.mjs failed: ${build.stderr}`);

  await initBackend();
  const dir = mkdtempSync(join(tmpdir(), 'tintem-web-'));
  // A ViT, so the page must also rebuild the custom layers of src/students/layers.ts.
  const vit = createStudent({ kind: 'vit', inputSize: 16, channels: 3, embedDim: 12, patchSize: 4, width: 16, depth: 2, numHeads: 2, mlpRatio: 2 }, 5);
  await exportStudent(vit.model, join(dir, 'model'), {
    inputSize: 16, channels: 3, embedDim: 12, tokenGrid: vit.tokenGrid, student: vit.spec, teacher: { id: 'random:seed3:dim32|32px|m0.5,0.5,0.5s0.5,0.5,0.5|grid2', spec: 'random:3', embedDim: 32 }, method: 'tintem',
    ood: { score: 'knn-distance', k: 5 },
  });
  vit.dispose();
  // ... and its ONNX form, which the page runs on onnxruntime-web (wasm) when asked to
  await addOnnxForms(join(dir, 'model'), randomImages(8, 16, 3, 12));
  const student = await loadStudent(join(dir, 'model'));
  const gallery = await buildGallery(student, randomImages(240, 16, 3, 11, 'noise16'), 120, 7);
  await writeGallery(join(dir, 'model'), gallery);
  assert.equal(gallery.calibration.method, 'held-out');
  assert.equal(gallery.calibration.k, 5);

  const rgbPng = join(dir, 'query-rgb.png'), grayPng = join(dir, 'query-gray.png');
  await writePng(rgbPng, 23, 19, 3, 1);
  await writePng(grayPng, 16, 16, 1, 2);
  const index = indexGallery(gallery);
  const expected: Array<{ embedding: Float32Array; match: ReturnType<typeof matchGallery> }> = [];
  for (const png of [rgbPng, grayPng]) {
    const embedding = await embedImageFiles(student, [png]);
    expected.push({ embedding, match: matchGallery(embedding, index) });
  }
  student.dispose();
  // Node's onnxruntime on the same decoded images
  const onnxNode = await loadOnnxStudent(join(dir, 'model'));
  const expectedOnnx: Float32Array[] = [];
  for (const png of [rgbPng, grayPng]) expectedOnnx.push(await onnxNode.embed(await readImageFile(png)));
  await onnxNode.dispose();

  const server = await startServer({ modelDir: join(dir, 'model'), port: 0 });
  const origin = new URL(server.url).origin;
  assert.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext();
    const requests: string[] = [];
    const errors: string[] = [];
    // Record every request; anything off this server is also blocked, so a leak cannot succeed.
    await context.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.request().url().startsWith(`${origin}/`) ? route.continue() : route.abort();
    });
    context.on('request', (r) => requests.push(r.url()));
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

    await page.goto(`${server.url}?backend=cpu`);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 20_000 });
    assert.equal(await page.getAttribute('body', 'data-state'), 'ready', `page failed: ${await page.textContent('#status')}`);
    assert.equal(await page.getAttribute('body', 'data-backend'), 'cpu');
    // The teacher reads as its spec, not the cache key; the status line sits below the drop box, not on it.
    // (No named helpers inside evaluate: tsx would wrap them in a __name() the page does not have.)
    const layout = await page.evaluate(() => ({
      ...Object.fromEntries(['drop', 'status', 'model'].map((id) => [id, document.getElementById(id)!.getBoundingClientRect().toJSON() as DOMRect])),
      teacher: [...document.querySelectorAll('#model dt')].find((dt) => dt.textContent === 'Teacher')?.nextElementSibling?.textContent,
    })) as { drop: DOMRect; status: DOMRect; model: DOMRect; teacher?: string };
    assert.equal(layout.teacher, 'random:3 (32-d)');
    assert.ok(layout.drop.top >= layout.model.bottom && layout.status.top >= layout.drop.bottom, `drop box, model card and status overlap: ${JSON.stringify(layout)}`);
    await page.setInputFiles('#files', [rgbPng, grayPng]);
    await page.waitForSelector('body[data-count="2"][data-state="ready"]', { timeout: 20_000 });
    const results = await page.evaluate(() => (window as unknown as { tintem: { results: BrowserResult[] } }).tintem.results);

    assert.equal(results.length, 2);
    for (const [i, r] of results.entries()) {
      const want = expected[i]!;
      assert.equal(r.error, undefined);
      assert.equal(r.embedding.length, 12);
      const d = cosineDistance(r.embedding, want.embedding);
      assert.ok(d < 1e-4, `${r.name}: browser vs Node cosine distance ${d}`);
      assert.deepEqual(r.neighbours.map((n) => n.index), want.match.neighbours.map((n) => n.index), `${r.name}: neighbours differ`);
      assert.equal(r.outOfDistribution, want.match.outOfDistribution);
      assert.ok(Math.abs(r.score! - want.match.score) < 1e-4);
      assert.equal(r.threshold, gallery.calibration.threshold);
    }
    assert.deepEqual([results[0]!.width, results[0]!.height, results[0]!.channels], [23, 19, 3]);
    assert.equal(results[1]!.channels, 1, 'a grey PNG decodes to one channel in the browser too');
    // the shown neighbour thumbnails are the gallery's
    const shown = await page.$$eval('section.result[data-name="query-rgb.png"] .neighbours li', (lis) => lis.map((li) => Number(li.getAttribute('data-index'))));
    assert.deepEqual(shown, expected[0]!.match.neighbours.map((n) => n.index));

    // The same images through the ONNX export on onnxruntime-web's WebAssembly build, chosen on the page.
    await page.goto(`${server.url}?runtime=onnx&ep=wasm`);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 });
    assert.equal(await page.getAttribute('body', 'data-state'), 'ready', `ONNX page failed: ${await page.textContent('#status')}`);
    assert.equal(await page.getAttribute('body', 'data-backend'), 'onnx-wasm');
    assert.equal(await page.$eval('#runtime', (s) => (s as HTMLSelectElement).value), 'onnx');
    await page.setInputFiles('#files', [rgbPng, grayPng]);
    await page.waitForSelector('body[data-count="2"][data-state="ready"]', { timeout: 20_000 });
    const onnxResults = await page.evaluate(() => (window as unknown as { tintem: { results: BrowserResult[] } }).tintem.results);
    for (const [i, r] of onnxResults.entries()) {
      assert.equal(r.error, undefined);
      const d = cosineDistance(r.embedding, expectedOnnx[i]!);
      assert.ok(d < 1e-4, `${r.name}: onnxruntime-web vs onnxruntime-node cosine distance ${d}`);
      assert.ok(cosineDistance(r.embedding, expected[i]!.embedding) < 1e-4, `${r.name}: onnxruntime-web vs TF.js in Node`);
      assert.deepEqual(r.neighbours.map((n) => n.index), expected[i]!.match.neighbours.map((n) => n.index), `${r.name}: ONNX neighbours differ`);
    }

    assert.ok(requests.length >= 5, `expected the page, script, metadata, model and gallery requests, saw ${requests.length}`);
    const offsite = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'));
    assert.deepEqual(offsite, [], 'no request may leave 127.0.0.1');
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    await browser.close();
    await server.close();
  }
});
