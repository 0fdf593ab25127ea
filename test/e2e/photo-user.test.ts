/**
 * The photo user's first hour (issue 27), on tiny inputs: a folder of colour photos in class folders, the tiny
 * ONNX ViT fixture with the dinov2 preset at its own small input size, two students of different sizes, `eval`
 * comparing both on the folder (queries held out of the bank), `export` (the calibration set's size printed),
 * and the page served and loaded in Chromium with every training image and a few noise images dropped on it: no
 * gallery image flagged, held-out ones only within the 5% the 95%-TPR threshold allows, every noise image flagged.
 * Through `node bin/tintem.js`, as a user types it. About 32 s of CPU; ~70 s wall on the shared 2-core machine at load 11.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { startServer } from '../../src/export/server.js';
import { Rng } from '../../src/util/random.js';

const repo = resolve(import.meta.dirname, '..', '..');
const CHROMIUM = process.env.TINTEM_CHROMIUM ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'tintem-photo-user-'));
let passed = false;
// Kept after a failure, to look at; removed after a pass.
after(() => { if (passed) rmSync(dir, { recursive: true, force: true }); });
const photos = join(dir, 'photos');
const cache = join(dir, 'cache');
const teacher = ['--teacher', `onnx:${join(repo, 'test', 'fixtures', 'tiny-vit', 'tiny_vit.onnx')}`, '--teacher-preset', 'dinov2', '--teacher-option', 'size=32', '--teacher-option', 'registers=2'];

function tintem(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    // As a user types it: `node bin/tintem.js ...` (the sources through tsx; no dist/ here).
    const child = spawn(process.execPath, [join(repo, 'bin', 'tintem.js'), ...args], { env: { ...process.env, TINTEM_QUIET_BACKEND: '1' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A smooth colour photo stand-in: a class hue, a seeded gradient and soft shapes, 40 px. */
async function photo(path: string, cls: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const [fx, fy, phase] = [rng.next() * 0.2, rng.next() * 0.2, rng.next() * 6];
  const px = Buffer.alloc(40 * 40 * 3);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) {
    const w = 0.5 + 0.5 * Math.sin(fx * x + fy * y + phase);
    const o = (y * 40 + x) * 3;
    px[o] = cls === 0 ? 150 + 100 * w : 30 * w;
    px[o + 1] = 60 + 80 * w;
    px[o + 2] = cls === 0 ? 30 * w : 150 + 100 * w;
  }
  await sharp(px, { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(path);
}

async function noise(path: string, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const px = Buffer.alloc(40 * 40 * 3);
  for (let i = 0; i < px.length; i++) px[i] = rng.int(256);
  await sharp(px, { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(path);
}

test('photo folder -> two ViT-teacher students -> eval on the same folder -> export -> the page in Chromium', { timeout: 600_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `headless Chromium not found at ${CHROMIUM}`);
  for (const [c, name] of ['warm', 'cool'].entries()) {
    mkdirSync(join(photos, name), { recursive: true });
    for (let i = 0; i < 40; i++) await photo(join(photos, name, `${i}.png`), c, 100 * c + i);
  }
  const distill = (run: string, student: string, size: number) => tintem(['distill', ...teacher, '--data', `folder:${photos}`, '--student', student, '--epochs', '3', '--batch-size', '8',
    '--set', `student.inputSize=${size}`, '--set', 'views=0', '--run-dir', join(dir, run), '--cache-dir', cache, '--no-progress']);
  const [small, large] = await Promise.all([distill('small', 'vit', 16), distill('large', 'cnn', 24)]);
  assert.equal(small.code, 0, small.stderr);
  assert.equal(large.code, 0, large.stderr);
  // Two students of different sizes, as the user sees them named before training
  assert.match(small.stderr, /student: vit, 16 px x 3 channels\nparameters: (\d+)/);
  assert.match(large.stderr, /student: cnn, 24 px x 3 channels\nparameters: (\d+)/);
  const params = [small, large].map((r) => Number(/parameters: (\d+)/.exec(r.stderr)![1]));
  assert.notEqual(params[0], params[1]);

  // Both students, one folder, different input sizes: compared without a refusal; queries held out of the bank.
  const ev = await tintem(['eval', '--run', join(dir, 'small'), '--run', join(dir, 'large'), '--cache-dir', cache, '--out', join(dir, 'eval'), '--report', '--no-progress']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.match(ev.stderr, /queries +.*: 16 images \(held-out 20% of the run's training images, not in the bank/);
  assert.match(ev.stderr, /bank +.*: 64 images/);
  assert.match(ev.stderr, /OOD +blobs:300: 300 images \[default OOD set\]/);
  // scorecard.json says the same: bank and queries cut from the one folder, together exactly its 80 images (a
  // partition: no query is in the bank), both derived from the run.
  type SetRecord = { spec: string; count: number; from: string; note?: string };
  const card = JSON.parse(readFileSync(join(dir, 'eval', 'scorecard.json'), 'utf8')) as { sets: { train: SetRecord; test: SetRecord; ood: Record<string, SetRecord> }; students: Record<string, unknown> };
  assert.equal(card.sets.train.spec, `folder:${photos}`);
  assert.equal(card.sets.test.spec, `folder:${photos}`);
  assert.deepEqual([card.sets.train.count, card.sets.test.count], [64, 16]);
  assert.deepEqual([card.sets.train.from, card.sets.test.from], ['run', 'run']);
  assert.match(card.sets.test.note!, /not in the bank/);
  assert.deepEqual(Object.values(card.sets.ood).map((o) => o.from), ['default', 'default']);
  assert.equal(Object.keys(card.students).length, 2);
  // The report answers its own question for each student, in words.
  const report = readFileSync(join(dir, 'eval', 'report', 'report.html'), 'utf8');
  assert.match(report, /Verdict: is each student faithful to its teacher\?/);
  const words = [...report.matchAll(/<article class="verdict" data-model="[^"]*" data-faithful="(faithful|partly|not)"/g)].map((m) => m[1]);
  assert.equal(words.length, 2, 'one verdict word per student');
  assert.match(report, /class="answer answer-(faithful|partly|not)">(faithful|partly faithful|not faithful)</);
  const title = /<h1>([^<]*)<\/h1>/.exec(report)![1]!;
  assert.match(title, /^tintem eval: onnx:tiny_vit\.onnx teacher vs /);
  assert.ok(!title.includes('/'), `no path in the report title: ${title}`);

  // --test naming the bank's own images: warned, and held out instead.
  const self = await tintem(['eval', '--run', join(dir, 'small'), '--train', photos, '--test', photos, '--ood', 'noise:20', '--cache-dir', cache, '--out', join(dir, 'eval-self'), '--no-progress']);
  assert.equal(self.code, 0, self.stderr);
  assert.match(self.stderr, /names the bank's own images .* holding out 20% of them as the queries instead/);

  const exp = await tintem(['export', '--run', join(dir, 'large'), '--out', join(dir, 'export'), '--gallery', `folder:${photos}`, '--gallery-size', '40']);
  assert.equal(exp.code, 0, exp.stderr);
  assert.match(exp.stdout, /calibrated OOD threshold \d\.\d{4} at 95% ID TPR \(k=\d+\) on 40 held-out images/);

  const build = spawnSync(process.execPath, [join(repo, 'scripts', 'build-web.mjs'), '--quiet'], { encoding: 'utf8', cwd: repo });
  assert.equal(build.status, 0, build.stderr);
  // The user drops every training image and a few noise images on the page.
  const training = ['warm', 'cool'].flatMap((c) => Array.from({ length: 40 }, (_, i) => join(photos, c, `${i}.png`)));
  const noisy = Array.from({ length: 4 }, (_, i) => join(dir, `noise-${i}.png`));
  for (const [i, p] of noisy.entries()) await noise(p, 900 + i);
  const gallery = JSON.parse(readFileSync(join(dir, 'export', 'gallery.json'), 'utf8')) as { items: Array<{ source: string }>; calibration: { images: number; tpr: number } };
  const inGallery = new Set(gallery.items.map((it) => it.source.split('/').slice(-2).join('/')));
  assert.equal(inGallery.size, 40);
  const server = await startServer({ modelDir: join(dir, 'export'), port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}?backend=cpu`);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 });
    assert.equal(await page.getAttribute('body', 'data-state'), 'ready', `page failed: ${await page.textContent('#status')}`);
    await page.setInputFiles('#files', [...training, ...noisy]);
    await page.waitForSelector(`body[data-count="${training.length + noisy.length}"][data-state="ready"]`, { timeout: 60_000 });
    const results = await page.evaluate(() => (window as unknown as { tintem: { results: Array<{ name: string; outOfDistribution: boolean | null }> } }).tintem.results);
    assert.equal(results.length, training.length + noisy.length);
    // Page results are in drop order; file names repeat across class folders, so match by position.
    const flagged = results.map((r) => r.outOfDistribution);
    const key = (p: string) => p.split('/').slice(-2).join('/');
    const flaggedTraining = training.filter((_, i) => flagged[i] !== false).map(key);
    // None of the gallery's own training images is flagged (before the fix, 4 of its 40 were). The other 40 training
    // images are the held-out set the threshold was calibrated on at 95% TPR: it passes all but the top 5% of their
    // scores by construction, so at most 2 of the 40 may be flagged, and the page must reproduce that call.
    const held = flaggedTraining.filter((k) => !inGallery.has(k));
    assert.deepEqual(flaggedTraining.filter((k) => inGallery.has(k)), [], `gallery images flagged: ${flaggedTraining.join(', ')}`);
    assert.equal(gallery.calibration.images, 40);
    assert.ok(held.length <= Math.floor((1 - gallery.calibration.tpr) * gallery.calibration.images), `held-out training images flagged beyond the 5% the threshold allows: ${held.join(', ')}`);
    for (const [i, p] of noisy.entries()) assert.equal(flagged[training.length + i], true, `noise image ${p} not flagged`);
    passed = true;
  } finally {
    await browser.close();
    await server.close();
  }
});
