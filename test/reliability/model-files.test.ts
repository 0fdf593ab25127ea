/**
 * Class 6 of issue 14: model files stay inside their folder. A tfjs model.json whose weight path climbs out
 * (../../etc/passwd), names a device (../../dev/zero) or a symlink to one, and tfjs:/dev/zero, onnx:/dev/zero and
 * an exported student pointing at /dev/zero are each one line, before a byte is read; no OOM, abort or segfault.
 */
import { test } from 'node:test';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOneLineError, tempDir, tintem } from './helpers.js';

const root = tempDir('model-files');
const cache = join(root, 'cache');
const MODEL = {
  format: 'layers-model',
  modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { units: 2, batch_input_shape: [null, 4], name: 'd' } }] } },
};

function modelDir(label: string, path: string): string {
  const dir = join(root, label, 'model');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...MODEL, weightsManifest: [{ paths: [path], weights: [{ name: 'd/kernel', shape: [4, 2], dtype: 'float32' }] }] }));
  return dir;
}

const embed = (teacher: string) => tintem(['embed', '--teacher', teacher, '--data', 'noise:4', '--cache-dir', cache, '--no-progress'], { timeoutSeconds: 60 });

test('tfjs teacher weight paths: ../../etc/passwd, ../../dev/zero, an absolute path and a symlink out are refused', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['passwd', '../../../../../../../../etc/passwd', /must stay inside/],
    ['devzero', '../../../../../../../../dev/zero', /must stay inside/],
    ['absolute', '/etc/hostname', /must stay inside/],
  ];
  const linked = modelDir('link', 'weights.bin');
  symlinkSync('/dev/zero', join(linked, 'weights.bin'));
  const inside = modelDir('folder', 'weights.bin');
  mkdirSync(join(inside, 'weights.bin')); // a folder where a file should be
  const all: Array<[string, string, RegExp]> = [
    ...cases.map(([label, path, pattern]): [string, string, RegExp] => [join(modelDir(label, path), 'model.json'), 'model.json', pattern]),
    [join(linked, 'model.json'), 'weights.bin', /must stay inside/],
    [join(inside, 'model.json'), 'weights.bin', /not a regular file/],
  ];
  const results = await Promise.all(all.map(([model]) => embed(`tfjs:${model}`)));
  results.forEach((r, i) => assertOneLineError(r, all[i]![1], all[i]![2]));
});

test('tfjs:/dev/zero and onnx:/dev/zero are one line each, not an abort or a segfault', async () => {
  const zeros = join(root, 'zeros.onnx');
  writeFileSync(zeros, Buffer.alloc(4096));
  const [t, o, z] = await Promise.all([embed('tfjs:/dev/zero'), embed('onnx:/dev/zero'), embed(`onnx:${zeros}`)]);
  assertOneLineError(t, '/dev/zero', /not a regular file/);
  assertOneLineError(o, '/dev/zero', /not a regular file/);
  assertOneLineError(z, zeros, /not an ONNX model/);
});

test('an exported student whose model.json points at /dev/zero is refused by embed --model', async () => {
  const dir = join(root, 'export');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...MODEL, weightsManifest: [{ paths: ['w.bin'], weights: [] }] }));
  symlinkSync('/dev/zero', join(dir, 'w.bin'));
  const meta = { format: 'tintem-student', formatVersion: 1, tintemVersion: '0', inputSize: 8, channels: 1, embedDim: 2, tokenGrid: 0, student: {}, teacher: { id: 't' }, method: 'm', outputs: ['pooled'], preprocessing: {}, files: { 'model.json': { sha256: '0'.repeat(64), bytes: 1 } } };
  writeFileSync(join(dir, 'tintem.json'), JSON.stringify(meta));
  const r = await tintem(['embed', '--model', dir, '--data', 'noise:4', '--no-progress']);
  assertOneLineError(r, 'model.json', /SHA-256 mismatch/);
  // With a matching checksum for model.json, the weight file is still refused before it is read.
  meta.files['model.json'] = { sha256: (await import('node:crypto')).createHash('sha256').update(readFileSync(join(dir, 'model.json'))).digest('hex'), bytes: readFileSync(join(dir, 'model.json')).length };
  writeFileSync(join(dir, 'tintem.json'), JSON.stringify(meta));
  assertOneLineError(await tintem(['embed', '--model', dir, '--data', 'noise:4', '--no-progress']), 'w.bin', /must stay inside|not a regular file/);
});
