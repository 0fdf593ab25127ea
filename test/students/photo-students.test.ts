/** Photo-sized students: the ViT patch follows the input, the CNN stem downsamples large inputs, memory is predicted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/index.js';
import { createStudent, defaultStudentSpec, defaultVitSpec } from '../../src/students/index.js';
import { cnnTokenGrid, type CnnSpec } from '../../src/students/cnn.js';
import { predictTrainBytes } from '../../src/students/memory.js';
import { checkTrainMemory } from '../../src/experiment/distill.js';
import { UserError } from '../../src/util/errors.js';

await initBackend();

test('ViT patch size follows the input: /16 at 224, /8 at 112, 4 at 28', () => {
  assert.equal(defaultVitSpec(224, 3).patchSize, 16);
  assert.equal(defaultVitSpec(112, 3).patchSize, 8);
  assert.equal(defaultVitSpec(28, 1).patchSize, 4);
});

test('the 224 px CNN has a stride-4 stem (56x56 first map) and a 7x7 grid; memory is predicted and refused when too big', () => {
  const spec = defaultStudentSpec(224, 3) as CnnSpec;
  assert.equal(spec.stemStride, 4);
  assert.equal(cnnTokenGrid(spec), 7);
  const student = createStudent(spec, 0);
  const stride2 = createStudent({ ...spec, stemStride: 2, widthMultipliers: [...spec.widthMultipliers, 4], blocksPerStage: [...spec.blocksPerStage, 1] }, 0);
  try {
    assert.equal(student.tokenGrid, 7);
    const b4 = predictTrainBytes(student.model, 128);
    const b2 = predictTrainBytes(stride2.model, 128);
    // Stage-1 activations alone: 128 x 56 x 56 x 32 floats = 51 MB each; a stride-2 stem has 4x as many.
    assert.ok(b4 > 128 * 56 * 56 * 32 * 4 && b4 < 8 * 2 ** 30, `stride-4 stem at batch 128: ${b4}`);
    assert.ok(b2 > 2 * b4, `a stride-2 stem needs far more: ${b2} vs ${b4}`);
    assert.throws(() => checkTrainMemory(student.model, spec, 1_000_000), (e: Error) => e instanceof UserError && /--batch-size \d+ or less/.test(e.message) && !e.message.includes('\n'));
  } finally {
    student.dispose();
    stride2.dispose();
  }
});
