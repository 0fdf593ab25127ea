import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadImageFolder } from '../../src/data/imageFolder.js';
import { UserError } from '../../src/util/errors.js';
import { bombPng } from '../fixtures/bomb-png.js';


const solid = (w: number, h: number, rgb: [number, number, number], alpha = false) =>
  sharp({ create: { width: w, height: h, channels: alpha ? 4 : 3, background: alpha ? { r: rgb[0], g: rgb[1], b: rgb[2], alpha: 0.5 } : { r: rgb[0], g: rgb[1], b: rgb[2] } } });

let root = '';
before(async () => {
  root = join(mkdtempSync(join(tmpdir(), 'tintem-folder-')), 'my photos');
  const cats = join(root, 'cats'), dogs = join(root, 'dogs');
  mkdirSync(join(cats, 'nested'), { recursive: true });
  mkdirSync(dogs);
  await solid(10, 7, [255, 0, 0]).png().toFile(join(cats, 'a red.png'));
  await solid(5, 9, [128, 128, 128], true).png().toFile(join(cats, 'chat noir é ü.png')); // unicode + spaces + alpha
  await solid(40, 30, [0, 0, 255]).webp({ lossless: true }).toFile(join(cats, 'nested', 'blue.webp'));
  await solid(16, 16, [0, 255, 0]).png().toFile(join(dogs, 'green-png-named.jpg')); // right content, wrong extension
  const jpeg = await solid(64, 64, [200, 100, 50]).jpeg({ quality: 90 }).toBuffer();
  writeFileSync(join(dogs, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  writeFileSync(join(cats, 'empty.png'), Buffer.alloc(0));
  writeFileSync(join(dogs, 'notes.jpg'), 'this is text, not a JPEG\n');
  writeFileSync(join(dogs, 'readme.txt'), 'hello');
  writeFileSync(join(dogs, 'huge.png'), bombPng(20000, 20000));
  await solid(3, 3, [10, 20, 30]).gif().toFile(join(dogs, 'tiny.gif'));
  symlinkSync(root, join(cats, 'nested', 'loop')); // directory loop back to the root
  symlinkSync('self.png', join(dogs, 'self.png')); // a link to itself
  writeFileSync(join(root, '.DS_Store'), 'junk'); // hidden files are listed as skipped, never read
});

test('loadImageFolder: class sub-folders, decoding, resizing, and every hostile file skipped with a reason', async () => {
  const { set, skipped } = await loadImageFolder(root, { size: 8, channels: 3 });
  assert.deepEqual(set.classNames, ['cats', 'dogs']);
  assert.deepEqual(set.sources!.map((s) => s.slice(root.length + 1)), [
    'cats/a red.png', 'cats/chat noir é ü.png', 'cats/nested/blue.webp', 'dogs/green-png-named.jpg', 'dogs/tiny.gif',
  ]);
  assert.deepEqual([...set.labels!], [0, 0, 0, 1, 1]);
  assert.deepEqual([set.count, set.height, set.width, set.channels], [5, 8, 8, 3]);
  const pixel = (n: number) => [...set.pixels.subarray(n * 192, n * 192 + 3)].map((v) => Math.round(v * 255));
  assert.deepEqual(pixel(0), [255, 0, 0]);
  for (const v of pixel(1)) assert.ok(Math.abs(v - 128) <= 1, `grey ${v}`); // alpha dropped, colour kept
  assert.deepEqual(pixel(2), [0, 0, 255]);
  assert.deepEqual(pixel(3), [0, 255, 0]);
  for (const v of set.pixels) assert.ok(v >= 0 && v <= 1);

  const reasons = Object.fromEntries(skipped.map((s) => [s.path.slice(root.length + 1), s.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), [
    '.DS_Store', 'cats/empty.png', 'cats/nested/loop', 'dogs/huge.png', 'dogs/notes.jpg', 'dogs/readme.txt', 'dogs/self.png', 'dogs/truncated.jpg',
  ]);
  assert.match(reasons['.DS_Store']!, /hidden file/);
  assert.match(reasons['cats/empty.png']!, /empty file/);
  assert.match(reasons['cats/nested/loop']!, /already scanned/);
  assert.match(reasons['dogs/huge.png']!, /too large: 20000x20000/);
  assert.match(reasons['dogs/notes.jpg']!, /not an image/);
  assert.match(reasons['dogs/readme.txt']!, /not an image file extension '\.txt'/);
  assert.match(reasons['dogs/self.png']!, /symlink loop/);
  assert.match(reasons['dogs/truncated.jpg']!, /corrupt or truncated/);
});

test('loadImageFolder: grey output, [height, width] size, fill fit', async () => {
  const { set } = await loadImageFolder(join(root, 'cats'), { size: [4, 6], channels: 1, fit: 'fill' });
  assert.equal(set.classNames, undefined); // loose files beside a sub-folder: one unlabelled pool
  assert.equal(set.labels, undefined);
  // The loop link leads out of cats/ to the root, so dogs/ is reached once through it; cats/ is not re-entered.
  assert.deepEqual(set.sources!.map((s) => s.slice(root.length + 1)), [
    'cats/a red.png', 'cats/chat noir é ü.png', 'cats/nested/blue.webp', 'cats/nested/loop/dogs/green-png-named.jpg', 'cats/nested/loop/dogs/tiny.gif',
  ]);
  assert.deepEqual([set.height, set.width, set.channels], [4, 6, 1]);
  assert.ok(Math.abs(set.pixels[4 * 6]! * 255 - 128) <= 1); // grey stays grey
});

test('loadImageFolder: limit takes the first files, or a seeded choice, always in sorted order', async () => {
  const first = await loadImageFolder(root, { size: 4, channels: 3, limit: 2 });
  assert.deepEqual(first.set.sources!.map((s) => s.slice(root.length + 1)), ['cats/a red.png', 'cats/chat noir é ü.png']);
  const a = await loadImageFolder(root, { size: 4, channels: 3, limit: 3, seed: 7 });
  const b = await loadImageFolder(root, { size: 4, channels: 3, limit: 3, seed: 7 });
  assert.equal(a.set.count, 3); // skipped files are replaced by later candidates
  assert.deepEqual(a.set.sources, b.set.sources);
  assert.deepEqual([...a.set.sources!].sort(), a.set.sources);
  assert.deepEqual(a.set.pixels, b.set.pixels);
});

test('loadImageFolder: strict mode fails fast naming the file; bad folders are UserErrors', async () => {
  await assert.rejects(loadImageFolder(root, { size: 8, channels: 3, strict: true }),
    (e: Error) => e instanceof UserError && e.message === `${join(root, 'cats', 'empty.png')}: empty file (0 bytes) (strict mode)`);
  await assert.rejects(loadImageFolder(join(root, 'missing'), { size: 8, channels: 3 }), /image folder .*missing does not exist/);
  await assert.rejects(loadImageFolder(join(root, 'dogs', 'readme.txt'), { size: 8, channels: 3 }), /is not a directory/);
  await assert.rejects(loadImageFolder(root, { size: 0, channels: 3 }), /size must be a positive integer/);
  const junk = mkdtempSync(join(tmpdir(), 'tintem-junk-'));
  writeFileSync(join(junk, 'x.png'), readFileSync(join(root, 'dogs', 'notes.jpg')));
  await assert.rejects(loadImageFolder(junk, { size: 8, channels: 3 }), /no readable images \(1 files skipped; first skipped: .*x\.png: not an image/);
});
