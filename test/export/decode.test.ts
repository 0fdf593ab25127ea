import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readImageFile } from '../../src/export/decode-node.js';
import { UserError } from '../../src/util/errors.js';

test('readImageFile: native size, bytes / 255, alpha dropped, grey RGB collapsed; bad files are UserErrors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-decode-'));
  const rgba = Buffer.from([255, 0, 51, 10, 1, 2, 3, 255, 4, 5, 6, 255]);
  await sharp(rgba, { raw: { width: 3, height: 1, channels: 4 } }).png().toFile(join(dir, 'a.png'));
  const a = await readImageFile(join(dir, 'a.png'));
  assert.deepEqual([a.count, a.width, a.height, a.channels], [1, 3, 1, 3]);
  assert.deepEqual(Array.from(a.pixels), [255, 0, 51, 1, 2, 3, 4, 5, 6].map((v) => Math.fround(v / 255)));
  await sharp(Buffer.from([7, 7, 7, 90, 90, 90]), { raw: { width: 2, height: 1, channels: 3 } }).png().toFile(join(dir, 'g.png'));
  const g = await readImageFile(join(dir, 'g.png'));
  assert.equal(g.channels, 1);
  assert.deepEqual(Array.from(g.pixels), [7, 90].map((v) => Math.fround(v / 255)));
  writeFileSync(join(dir, 'bad.png'), 'not a png');
  await assert.rejects(() => readImageFile(join(dir, 'bad.png')), (e: unknown) => e instanceof UserError && e.message.startsWith(`${join(dir, 'bad.png')}: cannot decode as an image`));
});
