import assert from 'node:assert/strict';
import { Command } from 'commander';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { register } from '../../src/cli/commands/corrupt.js';
import { parseIdx } from '../../src/data/idx.js';
import { corruptImageSet, readCorruptedSet, syntheticScene, writeCorruptedDataset } from '../../src/robustness/index.js';
import { UserError } from '../../src/util/errors.js';

function toySet(channels: 1 | 3) {
  const count = 3;
  const side = 12;
  const size = side * side * channels;
  const pixels = new Float32Array(count * size);
  for (let i = 0; i < count; i++) pixels.set(syntheticScene(side, side, channels, i).data, i * size);
  return { name: `toy${channels}`, count, height: side, width: side, channels, pixels, labels: Int32Array.from([2, 0, 1]), classNames: ['a', 'b', 'c'] };
}

test('corrupted copies round-trip through IDX files, resume, and detect damage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-corrupt-'));
  try {
    for (const channels of [1, 3] as const) {
      const out = join(dir, `c${channels}`);
      const set = toySet(channels);
      const opts = { corruptions: ['gaussian_noise', 'jpeg_compression'] as const, severities: [2, 5], seed: 9 };
      const manifest = await writeCorruptedDataset(set, out, opts);
      assert.equal(Object.keys(manifest.files).length, 2 + 4); // labels, clean, 2 x 2
      const idx = parseIdx(readFileSync(join(out, 'gaussian_noise/5/images.idx')), 'test');
      assert.deepEqual(idx.dims, channels === 1 ? [3, 12, 12] : [3, 12, 12, 3]);

      const back = await readCorruptedSet(out, 'gaussian_noise', 5);
      const direct = await corruptImageSet(set, 'gaussian_noise', 5, 9);
      assert.equal(back.name, `toy${channels}+gaussian_noise@5`);
      assert.deepEqual(back.labels, set.labels);
      assert.deepEqual(back.classNames, ['a', 'b', 'c']);
      // Stored as uint8: within half a grey level of the float result.
      for (let i = 0; i < back.pixels.length; i++) assert.ok(Math.abs(back.pixels[i]! - direct.pixels[i]!) <= 0.5 / 255 + 1e-7);

      // A second run keeps every file (same bytes, untouched).
      const mtime = statSync(join(out, 'jpeg_compression/2/images.idx')).mtimeMs;
      const kept: boolean[] = [];
      await writeCorruptedDataset(set, out, { ...opts, onFile: (_p, skipped) => kept.push(skipped) });
      assert.ok(kept.length > 0 && kept.every(Boolean));
      assert.equal(statSync(join(out, 'jpeg_compression/2/images.idx')).mtimeMs, mtime);

      // Damage is caught by the manifest checksum.
      const path = join(out, 'gaussian_noise/2/images.idx');
      const bytes = readFileSync(path);
      bytes[bytes.length - 1] ^= 0xff;
      writeFileSync(path, bytes);
      await assert.rejects(readCorruptedSet(out, 'gaussian_noise', 2), (e: unknown) => e instanceof UserError && /checksum does not match/.test(e.message));
      await assert.rejects(readCorruptedSet(out, 'fog', 1), /has no fog\/1\/images.idx/);
      // A different dataset into the same folder is refused rather than mixed.
      await assert.rejects(writeCorruptedDataset({ ...set, name: 'other' }, out, opts), /holds a corrupted copy of 'toy/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tintem corrupt: contact sheet and dataset copy from the command line; bad options are user errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-corrupt-cli-'));
  const run = async (...args: string[]) => {
    const program = new Command();
    program.exitOverride();
    register(program);
    await program.parseAsync(['node', 'tintem', 'corrupt', ...args]);
  };
  try {
    const sheet = join(dir, 'sheet.png');
    await run('--data', 'noise:4', '--corruptions', 'fog,pixelate', '--severities', '1,5', '--index', '2', '--contact-sheet', sheet, '--out', join(dir, 'out'), '--seed', '3');
    const png = readFileSync(sheet);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // 'PNG'
    assert.ok(existsSync(join(dir, 'out', 'pixelate', '5', 'images.idx')));
    assert.ok(!existsSync(join(dir, 'out', 'fog', '3')));
    const userError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n');
    await assert.rejects(run('--data', 'noise:4', '--severities', '1,7', '--out', join(dir, 'x')), userError(/^--severities: expected an integer from 1 to 5, got '7'$/));
    await assert.rejects(run('--data', 'noise:4', '--corruptions', 'fog,frost', '--out', join(dir, 'x')), userError(/^--corruptions: unknown corruption 'frost'/));
    await assert.rejects(run('--data', 'noise:4'), userError(/give --out <dir>, --contact-sheet <file.png>, or both/));
    await assert.rejects(run('--data', 'noise:4', '--index', '9', '--contact-sheet', sheet), userError(/--index: 9 is past the last image/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
