/**
 * The student-vs-teacher rows of the dry run and the start of a run, and the 14-vs-16 grid rule they describe:
 * alignTokenGrids pools a 16x16 teacher map to a 14x14 student map with PyTorch's adaptive bins (hand values).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/backend/index.js';
import { gridMappingRule, studentFitRows } from '../../src/methods/student-fit.js';
import { alignTokenGrids } from '../../src/methods/tokenGrid.js';
import type { StudentDescription } from '../../src/students/index.js';

await initBackend();

test('14 vs 16: the 16x16 teacher map is pooled to 14x14 with PyTorch\'s adaptive bins (hand values)', () => {
  // Teacher token (r, c) holds r in channel 0 and c in channel 1; the student map is zeros.
  const teacher = tf.tensor3d(Array.from({ length: 256 }, (_, i) => [Math.floor(i / 16), i % 16]).flat(), [1, 256, 2]);
  const student = tf.zeros([1, 196, 2]) as tf.Tensor3D;
  const [s, t] = alignTokenGrids(student, teacher);
  assert.deepEqual(s.shape, [1, 196, 2]);
  assert.deepEqual(t.shape, [1, 196, 2]);
  const v = t.arraySync()[0]!;
  // Bin i covers rows floor(16 i / 14) .. ceil(16 (i + 1) / 14) - 1: two rows each, e.g. i = 0: 0-1, 1: 1-2, 6: 6-7,
  // 7: 8-9, 13: 14-15, so the pooled row value is start + 0.5.
  const starts = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14];
  for (let i = 0; i < 14; i++) {
    assert.ok(Math.abs(v[i * 14]![0]! - (starts[i]! + 0.5)) < 1e-6, `row bin ${i}: ${v[i * 14]![0]}`);
    assert.ok(Math.abs(v[i]![1]! - (starts[i]! + 0.5)) < 1e-6, `column bin ${i}: ${v[i]![1]}`);
  }
  tf.dispose([teacher, student, s, t]);
});

test('the grid rule in words: block averages when one grid divides the other, adaptive bins otherwise, nothing when equal', () => {
  assert.equal(gridMappingRule(14, 14), undefined);
  assert.equal(gridMappingRule(14, 16), "the token losses average-pool the teacher's finer 16x16 map to the student's 14x14 (adaptive average pooling with PyTorch's overlapping bins, as 16 is not a multiple of 14)");
  assert.equal(gridMappingRule(14, 2), "the token losses average-pool the student's finer 14x14 map to the teacher's 2x2 (exact 7x7 block averages)");
});

const vitTi16: StudentDescription = { name: 'vit-ti16', reference: 'timm VisionTransformer(patch_size=16, ...)', parameters: 5524416, flops: 2.5e9, inputSize: 224, channels: 3, tokenGrid: 14, embedDim: 192, trunkWidth: 192, patchSize: 16 };

test('dry-run rows: parameters: N, FLOPs, both grids, the rule and the exact alternative (DINOv2 /14 teacher fed 196 px)', () => {
  const rows = new Map(studentFitRows(vitTi16, { embedDim: 384, tokenGrid: 16, inputSize: 224, fullGrid: true }, 'tintem'));
  assert.equal(rows.get('student size'), 'parameters: 5524416');
  assert.equal(rows.get('FLOPs per image'), '2.50 G (1.25 G multiply-adds)');
  assert.equal(rows.get('token grid'), 'student 14x14, teacher 16x16');
  assert.match(rows.get('grid rule')!, /teacher's finer 16x16 map to the student's 14x14/);
  assert.equal(rows.get('to match grids'),
    'feed the teacher 196 px (--teacher-option size=196) so its /14 grid is 14x14; or give the student 256 px (--set student.inputSize=256) so its /16 grid is 16x16');
  assert.equal(rows.has('note'), false); // 192 < 384: the head compresses, as in the paper
});

test('a student wider than the teacher: TinTeM\'s head expands, the student keeps its width, and the dry run says so', () => {
  const { patchSize: _p, ...noPatch } = vitTi16;
  void _p;
  const resnet18: StudentDescription = { ...noPatch, name: 'resnet18', tokenGrid: 7, embedDim: 512, trunkWidth: 512 };
  const rows = new Map(studentFitRows(resnet18, { embedDim: 384, tokenGrid: 2, inputSize: 224, fullGrid: false }, 'tintem'));
  assert.match(rows.get('note')!, /wider than the teacher: TinTeM's head maps the teacher's 384-d space up to 512-d \(expands instead of compressing\); the student keeps its own width by default \(set student.embedDim=384/);
  assert.equal(rows.get('student width'), "512-d (the trunk's own); teacher 384-d");
  assert.equal(rows.has('to match grids'), false); // a pooled 2x2 teacher grid has no patch size to offer
  assert.equal(new Map(studentFitRows(resnet18, { embedDim: 384, tokenGrid: 2, inputSize: 224, fullGrid: false }, 'proteus')).has('note'), false);
});
