/**
 * teacherPrecision int8 for ONNX teachers: the registry refuses kinds that cannot, the fp32 teacher's id and
 * cache keys are byte-identical to before, the int8 teacher's id names its model and (after the fidelity check)
 * the figures, which reach the cache manifest; a threshold of 1.0 refuses with the figures; the check's record is
 * reused. Tiny-ViT fixture (test/fixtures/tiny-vit), 64 random 32 px images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.js';
import { embedWithCache, entryKeys, teacherCacheDir } from '../../src/cache/index.js';
import { imageChecksum } from '../../src/data/index.js';
import { ensureTeacherFidelity, isQuantizedTeacher, measureFidelity, PRECISION_DIR, type QuantizedTeacher } from '../../src/teachers/fidelity.js';
import { createTeacher } from '../../src/teachers/index.js';
import { UserError } from '../../src/util/errors.js';
import { captureStderr, seededImages } from './helpers.js';

await initBackend();

const SPEC = 'onnx:test/fixtures/tiny-vit/tiny_vit.onnx#preset=dinov2,registers=2,output=last_hidden_state,size=32';
/** The fp32 id as tintem wrote it before teacherPrecision existed (model hash, output, layout, preprocessing). */
const FP32_ID = 'onnx:790b36133cde95eb:last_hidden_state|cls=first|reg2|pgauto|auto|32px|m0.485,0.456,0.406s0.229,0.224,0.225|crop0.875';
const set = seededImages(64, 32, 3, 5);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tintem-int8-teacher-'));
}

test('teacherPrecision: kinds whose registry entry lacks it are refused in one line', async () => {
  await assert.rejects(createTeacher('random:1', { precision: 'int8' }), (e: unknown) => e instanceof UserError && e.message === "teacherPrecision 'int8': the random teacher runs in fp32 only (int8 is for onnx teachers)");
  await assert.rejects(createTeacher(SPEC, { precision: 'bf16' }), (e: unknown) => e instanceof UserError && /^teacherPrecision 'bf16': the onnx teacher runs in fp32 or int8 only$/.test(e.message));
});

test('teacherPrecision fp32: id and cache keys byte-identical to before', async () => {
  const teacher = await createTeacher(SPEC, {});
  try {
    assert.equal(teacher.id, FP32_ID);
    assert.equal(isQuantizedTeacher(teacher), false);
    assert.equal(await ensureTeacherFidelity(teacher, set, { minCosine: 1, images: 64 }), undefined, 'no check for fp32');
    // entryKey = SHA-256 of the key parts as sorted-key JSON (written out by hand here).
    const image = imageChecksum(set, 0);
    const json = `{"image":${JSON.stringify(image)},"teacher":${JSON.stringify(FP32_ID)},"tokenGrid":2,"v":1,"view":"identity"}`;
    assert.equal(entryKeys(set, 0, 1, teacher)[0], createHash('sha256').update(json).digest('hex'));
  } finally {
    teacher.dispose();
  }
});

test('fidelity figures: a teacher against itself is 1 / 1 / 100%', async () => {
  const teacher = await createTeacher(SPEC, {});
  try {
    const small = seededImages(8, 32, 3, 1);
    const r = await measureFidelity(teacher, teacher, small.pixels, [8, 32, 32, 3]);
    assert.equal(r.images, 8);
    assert.equal(r.rows, 1 + 4, 'pooled + 2x2 tokens');
    assert.ok(Math.abs(r.meanCosine - 1) < 1e-6 && Math.abs(r.minCosine - 1) < 1e-6, JSON.stringify(r));
    assert.equal(r.nnAgreement, 1);
  } finally {
    teacher.dispose();
  }
});

test('teacherPrecision int8: fidelity check on 64 images, figures in the id, the cache key and the manifest; 1.0 refuses', async () => {
  const cacheDir = tempDir();
  const dir = join(cacheDir, PRECISION_DIR);
  try {
    const teacher = await createTeacher(SPEC, { precision: 'int8', precisionDir: dir }) as QuantizedTeacher;
    assert.ok(isQuantizedTeacher(teacher));
    assert.match(teacher.id, new RegExp(`^${FP32_ID.replace(/[|.]/g, '\\$&')}\\|int8:[0-9a-f]{16}$`));
    assert.ok(readdirSync(dir).includes(`${teacher.quantHash}.onnx`), 'the int8 model lives in the cache folder');

    const { result: report, stderr } = await captureStderr(() => ensureTeacherFidelity(teacher, set, { minCosine: 0.9, images: 64, dir }));
    assert.ok(report);
    assert.equal(report.images, 64);
    assert.ok(report.minCosine > 0.9 && report.minCosine < 1 && report.meanCosine >= report.minCosine && report.meanCosine < 1, JSON.stringify(report));
    // Noise images through a 16-wide random ViT: neighbours are fragile, so only a share of 64 (not a quality bar).
    assert.ok(report.nnAgreement > 0 && report.nnAgreement <= 1 && Number.isInteger(report.nnAgreement * 64), String(report.nnAgreement));
    assert.match(stderr, /int8 teacher: token cosine to fp32 mean [01]\.\d{4}, min [01]\.\d{4}; nearest-neighbour agreement \d+\.\d% \(64 images, 5 rows each\)/);
    assert.ok(teacher.id.endsWith(`|fidelity:${report.minCosine.toFixed(4)}/${report.meanCosine.toFixed(4)}/${report.nnAgreement.toFixed(3)}@64`), teacher.id);

    // Keys differ from fp32; the manifest of a cache pass records the figures (they are in its teacher id).
    const fp32 = await createTeacher(SPEC, {});
    assert.notEqual(entryKeys(set, 0, 1, teacher)[0], entryKeys(set, 0, 1, fp32)[0]);
    fp32.dispose();
    const few = { ...set, count: 4, pixels: set.pixels.subarray(0, 4 * 32 * 32 * 3) };
    await embedWithCache(teacher, few, { cacheDir, quiet: true, progress: false });
    const manifests = join(teacherCacheDir(cacheDir, teacher), 'manifests');
    const manifest = JSON.parse(readFileSync(join(manifests, readdirSync(manifests)[0]!), 'utf8')) as { plan: { teacherId: string } };
    assert.equal(manifest.plan.teacherId, teacher.id);
    assert.match(manifest.plan.teacherId, /\|int8:[0-9a-f]{16}\|fidelity:/);

    // Threshold 1.0: refused, with the figures, in one line (from the stored record: the check does not run again).
    const again = await createTeacher(SPEC, { precision: 'int8', precisionDir: dir }) as QuantizedTeacher;
    again.reference = () => { throw new Error('the fidelity record should have been reused'); };
    await assert.rejects(captureStderr(() => ensureTeacherFidelity(again, set, { minCosine: 1, images: 64, dir })), (e: unknown) => e instanceof UserError
      && e.message.startsWith(`teacherPrecision int8: the int8 teacher is too far from fp32: min token cosine ${report.minCosine.toFixed(4)} < teacherFidelity.minCosine 1 (mean ${report.meanCosine.toFixed(4)}`)
      && !e.message.includes('\n'));
    again.dispose();
    teacher.dispose();
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
