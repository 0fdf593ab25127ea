/**
 * The teacher identity is joined and split in one module (src/teachers/identity.ts); the strings stay byte-for-byte
 * what earlier releases wrote: checked against the id recorded in a committed export (test/fixtures/deploy-export,
 * written by an earlier release) and against hand-written strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.js';
import { quantizedTeacherId } from '../../src/teachers/fidelity.js';
import { formatTeacherId, parseTeacherId, teacherIdentity, teacherModel } from '../../src/teachers/identity.js';
import { createTeacher } from '../../src/teachers/index.js';

await initBackend();

test('a random teacher has the id an earlier release recorded for it', async () => {
  const recorded = JSON.parse(readFileSync('test/fixtures/deploy-export/tintem.json', 'utf8')) as { teacher: { id: string; spec: string } };
  assert.equal(recorded.teacher.id, 'random:seed3:dim32|32px|m0.5,0.5,0.5s0.5,0.5,0.5|grid2');
  const teacher = await createTeacher(recorded.teacher.spec, { embedDim: 32, inputSize: 32, grid: 2 });
  try {
    assert.equal(teacher.id, recorded.teacher.id);
    assert.deepEqual(teacher.identity, { model: 'random:seed3:dim32', inputSize: 32, normalization: 'm0.5,0.5,0.5s0.5,0.5,0.5', grid: 2 });
    assert.equal(formatTeacherId(teacherIdentity(teacher)), teacher.id);
    assert.equal(teacherModel(teacher.id), 'random:seed3:dim32');
  } finally {
    teacher.dispose?.();
  }
});

test('format and parse are inverse on hand-written ids of every teacher kind; unknown tags are kept as written', () => {
  const onnx = 'onnx:0123456789abcdef:out|224px|m0.485,0.456,0.406s0.229,0.224,0.225|crop0.875|nearest';
  assert.deepEqual(parseTeacherId(onnx), {
    model: 'onnx:0123456789abcdef:out', inputSize: 224, normalization: 'm0.485,0.456,0.406s0.229,0.224,0.225', crop: 0.875, interpolation: 'nearest',
  });
  const tokens = 'onnx:0123456789abcdef:last_hidden_state|cls=first|reg4|pgauto|auto|224px|m0.5,0.5,0.5s0.5,0.5,0.5|int8:abababababababab|fidelity:0.9900/0.9950/0.900@64';
  assert.deepEqual(parseTeacherId(tokens), {
    model: 'onnx:0123456789abcdef:last_hidden_state', tokens: { cls: 'first', registers: 4, patchGrid: 'auto', layout: 'auto' }, inputSize: 224,
    normalization: 'm0.5,0.5,0.5s0.5,0.5,0.5', precision: { precision: 'int8', hash: 'abababababababab' }, fidelity: 'fidelity:0.9900/0.9950/0.900@64',
  });
  assert.deepEqual(parseTeacherId('mobilenet@nsfwjs-4.3.0:conv_pw_13_relu|224px|m0.5,0.5,0.5s0.5,0.5,0.5|grid7'),
    { model: 'mobilenet@nsfwjs-4.3.0:conv_pw_13_relu', inputSize: 224, normalization: 'm0.5,0.5,0.5s0.5,0.5,0.5', grid: 7 });
  assert.deepEqual(parseTeacherId('random:seed1:dim8|28px|unit'), { model: 'random:seed1:dim8', inputSize: 28, extras: ['unit'] });
  // A tag after the typed ones it would precede stays as written; a number String() would write differently too.
  assert.deepEqual(parseTeacherId('m|grid2|28px'), { model: 'm', grid: 2, extras: ['28px'] });
  assert.deepEqual(parseTeacherId('m|grid2|unit|28px'), { model: 'm', grid: 2, extras: ['unit', '28px'] });
  assert.deepEqual(parseTeacherId('m|crop0.50'), { model: 'm', extras: ['crop0.50'] });
  for (const id of [onnx, tokens, 'm|grid2|28px', 'm|grid2|unit|28px', 'm|crop0.50', 'm|a|', 'inception:mixed4', 'random:seed1:dim8|28px|unit']) {
    assert.equal(formatTeacherId(parseTeacherId(id)), id, id);
  }
  assert.equal(teacherModel('inception:mixed4'), 'inception:mixed4');
  assert.equal(quantizedTeacherId('random:seed1:dim8|28px|unit', 'int8', 'ab'.repeat(32)), 'random:seed1:dim8|28px|unit|int8:abababababababab');
  assert.equal(quantizedTeacherId('m|t', 'int8', 'cd'.repeat(32), { minCosine: 0.99, meanCosine: 0.995, nnAgreement: 0.9, images: 64, rows: 5 }),
    'm|t|int8:cdcdcdcdcdcdcdcd|fidelity:0.9900/0.9950/0.900@64');
});

/** Every teacher id recorded in the committed fixtures (written by earlier releases): run.json, summaries, manifests, exports. */
function fixtureIds(dir: string, out = new Set<string>()): Set<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) fixtureIds(path, out);
    else if (/\.(json|jsonl|yaml)$/.test(e.name) && statSync(path).size < 4 * 1024 * 1024) {
      for (const m of readFileSync(path, 'utf8').matchAll(/"(?:teacherId|id)"\s*:\s*"([^"]*\|[^"]*)"/g)) out.add(m[1]!);
    }
  }
  return out;
}

test('every teacher id in the committed fixtures parses to a typed identity and formats back to the same bytes', () => {
  const ids = [...fixtureIds('test/fixtures')];
  assert.ok(ids.length >= 2, `found ${ids.length} ids`);
  assert.ok(ids.includes('random:seed3:dim32|16px|m0.5,0.5,0.5s0.5,0.5,0.5|grid2'));
  for (const id of ids) {
    const identity = parseTeacherId(id);
    assert.equal(identity.extras, undefined, `${id}: every tag typed`);
    assert.equal(formatTeacherId(identity), id);
  }
});
