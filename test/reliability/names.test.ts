/**
 * Class 9 of issue 14: names and formats. A file name holding a newline cannot forge a `tintem: error:` line
 * (names are quoted), and formats are sniffed from the content: an SVG named .png is refused as SVG is excluded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { assertOneLineError, tempDir, tintem } from './helpers.js';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16" fill="red"/></svg>';

test('newline in a file name: quoted in the skip list and in errors; an SVG named .png is skipped as SVG', async () => {
  const dir = join(tempDir('names'), 'images');
  mkdirSync(dir);
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 10, g: 200, b: 30 } } }).png().toBuffer();
  for (let i = 0; i < 3; i++) writeFileSync(join(dir, `good-${i}.png`), png);
  const forged = 'x.png\ntintem: error: forged line\n\u001b[2Jy.png';
  writeFileSync(join(dir, forged), 'not an image');
  writeFileSync(join(dir, 'vector.png'), SVG);
  const r = await tintem(['embed', '--teacher', 'random:1', '--data', `folder:${dir}`, '--cache-dir', join(dir, '..', 'cache'), '--no-progress']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /3 images|3 computed/);
  assert.ok(!r.stderr.split('\n').some((l) => l.startsWith('tintem: error:')), `a forged line:\n${r.stderr}`);
  assert.ok(!r.stderr.includes('\u001b'), 'no raw escape sequence reaches the terminal');
  assert.ok(r.stderr.includes(JSON.stringify(join(dir, forged))), 'the name is shown quoted');
  assert.match(r.stderr, /vector\.png: not a supported image: content is svg/);

  const strict = await tintem(['embed', '--teacher', 'random:1', '--data', `folder:${dir}`, '--strict', '--cache-dir', join(dir, '..', 'cache'), '--no-progress']);
  assertOneLineError(strict, 'strict mode', undefined, true);
});
