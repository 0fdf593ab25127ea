/**
 * CONTRIBUTING.md's "add a student" recipe, done from a test without touching any source file: one
 * registerStudentKind entry (kind, keys, presets by name with help, spec checks, token grid, width and a builder)
 * and the student is in config validation, `--student`'s list, docs/config.md, the trainer and the run loader.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/backend/index.js';
import { configDocsMarkdown } from '../../src/cli/config-docs.js';
import { loadRun } from '../../src/experiment/load-run.js';
import { createStudent, registerStudentKind, resolveStudentSpec, studentPresetNames, studentParamCount, unregisterStudentKind } from '../../src/students/index.js';
import { loadDistillConfig, parseDistillConfig } from '../../src/training/config.js';
import { runDistill } from '../../src/experiment/distill.js';
import { UserError } from '../../src/util/errors.js';

/** A patch-MLP: a stride-`patch` conv (the patch embedding) and a 1x1 conv; tokens = the map, pooled = its mean. */
type ExampleSpec = { kind: 'example-mlp'; preset?: string; inputSize: number; channels: 1 | 3; embedDim: number; patch: number; hidden: number };

before(async () => {
  await initBackend();
  registerStudentKind({
    name: 'example-mlp',
    summary: 'example: a patch MLP (registered by a test)',
    keys: ['patch', 'hidden'],
    widthKey: 'hidden',
    presets: [{ name: 'example-mlp-p4', summary: 'example patch MLP, patch 4, 16 hidden', fields: { patch: 4, hidden: 16 } }],
    check(spec, need, what) {
      need('patch', (v) => Number.isInteger(v) && (v as number) >= 1, 'a positive integer');
      need('hidden', (v) => Number.isInteger(v) && (v as number) >= 1, 'a positive integer');
      if ((spec.inputSize as number) % (spec.patch as number) !== 0) throw new UserError(`${what}: inputSize is not a multiple of patch`);
    },
    tokenGrid: (spec: ExampleSpec) => spec.inputSize / spec.patch,
    trunkWidth: (spec: ExampleSpec) => spec.hidden,
    build(spec: ExampleSpec, seed: number) {
      const input = tf.input({ shape: [spec.inputSize, spec.inputSize, spec.channels] });
      let x = tf.layers.conv2d({ filters: spec.hidden, kernelSize: spec.patch, strides: spec.patch, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as tf.SymbolicTensor;
      x = tf.layers.conv2d({ filters: spec.embedDim, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(x) as tf.SymbolicTensor;
      const g = spec.inputSize / spec.patch;
      const tokens = tf.layers.reshape({ targetShape: [g * g, spec.embedDim] }).apply(x) as tf.SymbolicTensor;
      const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: [pooled, tokens] });
    },
  });
});

after(() => unregisterStudentKind('example-mlp'));

test('a registered student kind: its preset is a name the config, --student and the docs know', async () => {
  assert.ok(studentPresetNames().includes('example-mlp-p4'));
  assert.deepEqual(parseDistillConfig({ student: 'example-mlp-p4' }).student, { preset: 'example-mlp-p4' });
  assert.throws(() => parseDistillConfig({ student: { preset: 'example-mlp-p4', depth: 3 } }), /student.depth: unknown key for a example-mlp student \(expected one of: kind, preset, inputSize, channels, embedDim, patch, hidden\)/);
  assert.match(configDocsMarkdown(), /\| `example-mlp-p4` \| example patch MLP, patch 4, 16 hidden \| tintem's own \| `example-mlp`: patch, hidden \|/);
  const spec = resolveStudentSpec({ preset: 'example-mlp-p4', hidden: 8 }, 16, 1);
  assert.deepEqual(spec, { kind: 'example-mlp', preset: 'example-mlp-p4', inputSize: 16, channels: 1, patch: 4, hidden: 8, embedDim: 8 });
  const student = createStudent(spec, 1);
  assert.equal(student.tokenGrid, 4);
  assert.equal(studentParamCount(student), 4 * 4 * 8 + 8 + 8 * 8 + 8); // hand count: two convs with bias
  student.dispose();
});

test('a registered student trains end to end and its run loads back', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tintem-example-student-'));
  const config = await loadDistillConfig(undefined, {
    values: { teacher: 'random:1', 'data.train': 'noise:16', epochs: 1, batchSize: 8, runDir: join(root, 'run'), cacheDir: join(root, 'cache'), progress: false },
    set: ['student=example-mlp-p4', 'student.inputSize=16'],
  });
  const r = await runDistill(config);
  assert.equal(r.summary!.student.preset, 'example-mlp-p4');
  assert.equal(r.summary!.student.tokenGrid, 4);
  const run = await loadRun(join(root, 'run'));
  try {
    assert.equal(run.summary.student.spec.kind, 'example-mlp');
    assert.deepEqual(run.model.outputs.map((o) => o.shape), [[null, 16], [null, 16, 16]]);
  } finally {
    run.dispose();
  }
});
