/**
 * The teacher identity is joined and split in one module (src/teachers/identity.ts); the strings stay byte-for-byte
 * what earlier releases wrote: checked against the id recorded in a committed export (test/fixtures/deploy-export,
 * written by an earlier release) and against hand-written strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { initBackend } from '../../src/backend/index.js';
import { quantizedTeacherId } from '../../src/teachers/fidelity.js';
import { formatTeacherId, parseTeacherId, teacherModel } from '../../src/teachers/identity.js';
import { createTeacher } from '../../src/teachers/index.js';

await initBackend();

test('a random teacher has the id an earlier release recorded for it', async () => {
  const recorded = JSON.parse(readFileSync('test/fixtures/deploy-export/tintem.json', 'utf8')) as { teacher: { id: string; spec: string } };
  assert.equal(recorded.teacher.id, 'random:seed3:dim32|32px|m0.5,0.5,0.5s0.5,0.5,0.5|grid2');
  const teacher = await createTeacher(recorded.teacher.spec, { embedDim: 32, inputSize: 32, grid: 2 });
  try {
    assert.equal(teacher.id, recorded.teacher.id);
    assert.equal(teacherModel(teacher.id), 'random:seed3:dim32');
  } finally {
    teacher.dispose?.();
  }
});

test('format and parse are inverse; undefined tags are left out, empty ones kept', () => {
  const id = 'onnx:0123456789abcdef:out|224px|crop0.875|m0.485,0.456,0.406s0.229,0.224,0.225';
  const parsed = parseTeacherId(id);
  assert.deepEqual(parsed, { model: 'onnx:0123456789abcdef:out', tags: ['224px', 'crop0.875', 'm0.485,0.456,0.406s0.229,0.224,0.225'] });
  assert.equal(formatTeacherId(parsed.model, ...parsed.tags), id);
  assert.equal(formatTeacherId('m', undefined, 'a', ''), 'm|a|');
  assert.equal(teacherModel('inception:mixed4'), 'inception:mixed4');
  assert.equal(quantizedTeacherId('random:seed1:dim8|28px|unit', 'int8', 'ab'.repeat(32)), 'random:seed1:dim8|28px|unit|int8:abababababababab');
  assert.equal(quantizedTeacherId('m|t', 'int8', 'cd'.repeat(32), { minCosine: 0.99, meanCosine: 0.995, nnAgreement: 0.9, images: 64, rows: 5 }),
    'm|t|int8:cdcdcdcdcdcdcdcd|fidelity:0.9900/0.9950/0.900@64');
});
