/** Teacher options: spec fragments, presets and their published values, precedence, and the crop/squash preprocessing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { preprocessImages } from '../../src/teachers/features.js';
import { mergeTeacherOptions, parseModelSpec, TEACHER_PRESETS } from '../../src/teachers/options.js';
import { UserError } from '../../src/util/errors.js';

await initBackend();

test('spec fragments: options after #, lists with + and /, the :output short form, one-line errors', () => {
  const a = parseModelSpec('m/model.onnx#preset=dinov2,output=last_hidden_state+pooler_output,registers=4,grid=full,mean=0.5/0.5/0.5', 'w');
  assert.equal(a.path, 'm/model.onnx');
  assert.deepEqual(a.options, { preset: 'dinov2', outputs: ['last_hidden_state', 'pooler_output'], registers: 4, grid: 'full', mean: [0.5, 0.5, 0.5] });
  assert.deepEqual(parseModelSpec('f.onnx:pooler_output', 'w'), { path: 'f.onnx', options: { outputs: ['pooler_output'] } });
  assert.deepEqual(parseModelSpec('C:/x/f.onnx', 'w').path, 'C:/x/f.onnx');
  for (const bad of ['f.onnx#preset=vit', 'f.onnx#registers=-1', 'f.onnx#resize=fit', 'f.onnx#mean=1/2', 'f.onnx#bogus=1', 'f.onnx#nokey']) {
    assert.throws(() => parseModelSpec(bad, "--teacher 'x'"), (e: Error) => e instanceof UserError && !e.message.includes('\n'), bad);
  }
});

test('presets carry the published values; later layers win over the preset', () => {
  // Values from the Hugging Face image processors' configs (CLIPImageProcessor, BitImageProcessor for DINOv2, SiglipImageProcessor).
  assert.deepEqual(TEACHER_PRESETS.clip.mean, [0.48145466, 0.4578275, 0.40821073]);
  assert.deepEqual(TEACHER_PRESETS.clip.std, [0.26862954, 0.26130258, 0.27577711]);
  assert.deepEqual(TEACHER_PRESETS.dinov2.mean, [0.485, 0.456, 0.406]);
  assert.equal(TEACHER_PRESETS.dinov2.crop, 224 / 256);
  assert.deepEqual(TEACHER_PRESETS.siglip.std, [0.5, 0.5, 0.5]);
  const m = mergeTeacherOptions({ preset: 'clip', registers: 1 }, { inputSize: 336 });
  assert.equal(m.inputSize, 336);
  assert.equal(m.registers, 1);
  assert.deepEqual(m.mean, TEACHER_PRESETS.clip.mean);
});

test("preprocessing: 'crop' keeps the centre square of crop x the shorter side; 'squash' keeps the whole image", () => {
  // A 4 x 6 image whose pixel value is its column index: the centre 4 x 4 (crop 1) is columns 1..4.
  const cols = tf.tidy(() => tf.tile(tf.reshape(tf.range(0, 6), [1, 1, 6, 1]), [1, 4, 1, 3])) as tf.Tensor4D;
  const norm = { mean: [0, 0, 0], std: [1, 1, 1] };
  const crop = preprocessImages(cols, { inputSize: 4, resize: 'crop', crop: 1, interpolation: 'bilinear', normalization: norm });
  assert.deepEqual(Array.from(crop.slice([0, 0, 0, 0], [1, 1, 4, 1]).dataSync()), [1, 2, 3, 4]);
  const half = preprocessImages(cols, { inputSize: 2, resize: 'crop', crop: 0.5, interpolation: 'nearest', normalization: norm });
  assert.deepEqual(Array.from(half.slice([0, 0, 0, 0], [1, 1, 2, 1]).dataSync()), [2, 3]);
  const squash = preprocessImages(cols, { inputSize: 6, resize: 'squash', crop: 1, interpolation: 'nearest', normalization: norm });
  assert.deepEqual(Array.from(squash.slice([0, 0, 0, 0], [1, 1, 6, 1]).dataSync()), [0, 1, 2, 3, 4, 5]);
  tf.dispose([cols, crop, half, squash]);
});
