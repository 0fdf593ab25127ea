/**
 * Teacher options are defined in src/teachers/options.ts; the config schema (a lower layer, which may not import it)
 * repeats their names, presets and bounds: this test fails when the two drift apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { teacherOptionsSchema } from '../../src/config/schema.js';
import { PRESET_NAMES, TEACHER_OPTION_LIMITS, TEACHER_PRESETS, teacherPresetHelp } from '../../src/teachers/options.js';

test('the config schema takes the presets and bounds the teacher options define', () => {
  assert.deepEqual(teacherOptionsSchema.shape.preset.unwrap().options, [...PRESET_NAMES]);
  assert.deepEqual(Object.keys(TEACHER_PRESETS), [...PRESET_NAMES]);
  for (const [key, max] of Object.entries(TEACHER_OPTION_LIMITS)) {
    const field = teacherOptionsSchema.shape[key as keyof typeof TEACHER_OPTION_LIMITS];
    assert.equal(field.safeParse(max).success, true, `${key} ${max}`);
    assert.equal(field.safeParse(max + 1).success, false, `${key} ${max + 1}`);
  }
  assert.equal(teacherPresetHelp(), 'model-file teachers: dinov2, clip, siglip or imagenet preprocessing and token layout');
});
