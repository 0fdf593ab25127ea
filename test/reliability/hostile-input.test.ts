/**
 * Hostile input through the real CLI. An image folder (under a path with spaces and unicode) holding corrupt,
 * truncated, zero-byte, 20000x20000-header, non-image, mislabelled files and symlink loops: `tintem embed`
 * skips and lists each bad file, or with --strict stops at the first with one line; nothing hangs.
 * Malformed configs (bad YAML, wrong type, unknown key) are one line naming the file and key.
 * (Every skip reason is checked in-process in test/data/imageFolder.test.ts; here it is the CLI path.)
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/util/random.js';
import { assertOneLineError, tempDir, tintem } from './helpers.js';
import { bombPng } from '../fixtures/bomb-png.js';


const solid = (size: number, rgb: [number, number, number]) =>
  sharp({ create: { width: size, height: size, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });

const root = tempDir('hostile');
const dir = join(root, 'my images ü');
const cacheDir = join(root, 'cache dir Ω');
/** Bad file -> the reason the summary must give. */
const bad: Record<string, RegExp> = {
  'corrupt.png': /not an image|corrupt/,
  'empty.jpg': /empty file \(0 bytes\)/,
  'huge.png': /too large: 20000x20000/,
  'loop': /already scanned \(symlink loop/,
  'notes.txt': /not an image file extension '\.txt'/,
  'self.png': /symlink loop/,
  'text-named.png': /not an image/,
  'truncated.jpg': /corrupt or truncated/,
};

before(async () => {
  mkdirSync(dir, { recursive: true });
  await solid(20, [255, 0, 0]).png().toFile(join(dir, 'a red.png'));
  await solid(30, [0, 0, 255]).jpeg().toFile(join(dir, 'b blue.jpg'));
  await solid(12, [0, 255, 0]).png().toFile(join(dir, 'green-png-named.jpg')); // right content, wrong extension: read
  await solid(16, [90, 90, 90]).webp().toFile(join(dir, 'Ωmega ünïcode 写真.webp'));
  const rng = new Rng(7);
  writeFileSync(join(dir, 'corrupt.png'), Uint8Array.from({ length: 4096 }, () => rng.int(256)));
  const jpeg = await solid(64, [200, 100, 50]).jpeg({ quality: 90 }).toBuffer();
  writeFileSync(join(dir, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  writeFileSync(join(dir, 'empty.jpg'), Buffer.alloc(0));
  writeFileSync(join(dir, 'huge.png'), bombPng(20000, 20000));
  writeFileSync(join(dir, 'notes.txt'), 'not an image\n');
  writeFileSync(join(dir, 'text-named.png'), 'this is text, not a PNG\n');
  symlinkSync(dir, join(dir, 'loop')); // a directory loop back to the folder itself
  symlinkSync('self.png', join(dir, 'self.png')); // a link to itself
});

const embedArgs = (...extra: string[]) => ['embed', '--teacher', 'random:1', '--data', `folder:${dir}`, '--cache-dir', cacheDir, '--no-progress', ...extra];

test('embed --data folder: reads the good images (spaces, unicode), lists every skipped file with its reason, never hangs', async () => {
  const r = await tintem(embedArgs(), { timeoutSeconds: 60 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /embedded 4 images of folder:/);
  const lines = r.stderr.split('\n');
  const head = lines.findIndex((l) => l.startsWith(`tintem: warning: ${dir}: skipped ${Object.keys(bad).length} unreadable file(s):`));
  assert.ok(head >= 0, r.stderr);
  const listed = lines.slice(head + 1, head + 1 + Object.keys(bad).length);
  for (const [name, reason] of Object.entries(bad)) {
    const line = listed.find((l) => l.startsWith(`  ${join(dir, name)}: `));
    assert.ok(line, `${name} is not listed:\n${r.stderr}`);
    assert.match(line, reason);
  }
  assert.doesNotMatch(r.stderr, /error/i);
});

test('embed --strict: stops at the first bad file with one line naming it', async () => {
  const r = await tintem(embedArgs('--strict'), { timeoutSeconds: 60 });
  assertOneLineError(r, join(dir, 'empty.jpg'), /empty file \(0 bytes\) \(strict mode\)/, true);
});

test('malformed configs: bad YAML, a wrong type, an unknown key are one line naming the file and key', async () => {
  const configs = {
    'bad yaml.yaml': ['epochs: [1, 2\nlr: 0.1\n', /not valid YAML/],
    'wrong-type.yaml': ['epochs: ten\nlr: 0.01\n', /: epochs: expected number, got string/],
    'unknown-key.yaml': ['method:\n  nmae: tintem\n', /: method\.nmae: unknown key \(expected one of: name, /],
  } as const;
  const runs = Object.entries(configs).map(async ([name, [text, why]]) => {
    const path = join(root, name);
    writeFileSync(path, text);
    const r = await tintem(['distill', '--config', path, '--run-dir', join(root, 'never')]);
    assertOneLineError(r, path, why, true);
  });
  await Promise.all(runs);
});
