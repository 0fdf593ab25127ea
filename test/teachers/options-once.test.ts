/**
 * Teacher options are defined once, in src/teachers/options.ts: the config's `teacherOptions` section, the rows of
 * docs/config.md and the CLI help all come from that one schema (config/ receives it through the registries).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseConfigSchema } from '../../src/config/schema.js';
import { baseConfigRows } from '../../src/config/describe.js';
import { distillRegistries, parseDistillConfig } from '../../src/training/config.js';
import { PRESET_NAMES, TEACHER_OPTION_LIMITS, TEACHER_OPTION_SYNTAX, TEACHER_PRESETS, teacherOptionHelp, teacherOptionsSchema, teacherPresetHelp } from '../../src/teachers/options.js';

test('the config takes the teacher registry\'s schema, presets and bounds (not a copy)', () => {
  assert.equal(distillRegistries.teacherOptionsSchema(), teacherOptionsSchema);
  // The config layer's own schema says nothing about the keys: they are the registry's.
  assert.equal(baseConfigSchema.shape.teacherOptions.safeParse({ anything: 1 }).success, true);
  assert.deepEqual(teacherOptionsSchema.shape.preset.unwrap().options, [...PRESET_NAMES]);
  assert.deepEqual(Object.keys(TEACHER_PRESETS), [...PRESET_NAMES]);
  for (const [key, max] of Object.entries(TEACHER_OPTION_LIMITS)) {
    assert.deepEqual(parseDistillConfig({ teacherOptions: { [key]: max } }).teacherOptions, { [key]: max }, `${key} ${max}`);
    assert.throws(() => parseDistillConfig({ teacherOptions: { [key]: max + 1 } }), new RegExp(`teacherOptions\\.${key}`), `${key} ${max + 1}`);
  }
  assert.throws(() => parseDistillConfig({ teacherOptions: { registrs: 4 } }), /teacherOptions/);
});

test('docs rows and CLI help are generated from the one schema', () => {
  const rows = baseConfigRows(distillRegistries).filter((r) => r.key.startsWith('teacherOptions.'));
  assert.deepEqual(rows.map((r) => r.key), Object.keys(teacherOptionsSchema.shape).map((k) => `teacherOptions.${k}`));
  assert.equal(rows[0]!.help, 'published preprocessing of a family: dinov2, clip, siglip, imagenet');
  assert.deepEqual(Object.keys(TEACHER_OPTION_SYNTAX).sort(), Object.keys(teacherOptionsSchema.shape).filter((k) => k !== 'preset').sort());
  assert.equal(teacherPresetHelp(), 'model-file teachers: dinov2, clip, siglip or imagenet preprocessing and token layout');
  assert.equal(teacherOptionHelp(), 'model-file teachers: output=a+b, cls=first|none|<output>, registers=k, patch-grid=n, grid=full, size=224, resize=crop|squash, crop=0.875, interp=bilinear|nearest, mean=a/b/c, std=a/b/c, layout=nchw|nhwc (repeatable)');
});
