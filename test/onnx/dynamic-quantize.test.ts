/**
 * The dynamic int8 rewrite of MatMul / Gemm weights (src/onnx/dynamic-quantize.ts) on the tiny-ViT fixture, checked
 * against onnxruntime-Python's own `quantize_dynamic` of the same file (test/fixtures/tiny-vit/int8-golden.json, by
 * scripts/fixtures/make_tiny_vit_int8.py) and against the fp32 outputs (golden.json); the external-data copy of the
 * model; the sealed, content-addressed int8 file of a cache folder (src/onnx/int8-store.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  createSession, inlineExternalData, parseModel, quantizeDynamicInt8, readOnnxModel, runFloat, serializeModel,
} from '../../src/onnx/index.js';
import { int8ModelFor } from '../../src/onnx/int8-store.js';
import { UserError } from '../../src/util/errors.js';

const DIR = 'test/fixtures/tiny-vit';
const MODEL = join(DIR, 'tiny_vit.onnx');
const EXTERNAL = join(DIR, 'external/model.onnx');
interface Out { shape: number[]; values: number[] }
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as { size: number; mean: number[]; std: number[]; images: number[][]; outputs: Record<string, Out> };
const py = JSON.parse(readFileSync(join(DIR, 'int8-golden.json'), 'utf8')) as { modes: Record<'per_tensor' | 'per_channel', Record<string, Out>> };
const S = golden.size, N = golden.images.length;
const NAMES = Object.keys(golden.outputs);

/** The golden images as the fixture generator fed them: NCHW, ImageNet-normalised. */
const input = new Float32Array(N * 3 * S * S);
for (let i = 0; i < N; i++) for (let c = 0; c < 3; c++) for (let p = 0; p < S * S; p++) input[(i * 3 + c) * S * S + p] = (golden.images[i]![p * 3 + c]! / 255 - golden.mean[c]!) / golden.std[c]!;

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return ab / Math.sqrt(aa * bb);
}

async function run(bytes: Uint8Array) {
  const session = await createSession(bytes, 'test model');
  try {
    return await runFloat(session, 'pixel_values', input, [N, 3, S, S], NAMES);
  } finally {
    await session.release();
  }
}

test('int8 rewrite: every constant-weight MatMul/Gemm becomes DynamicQuantizeMatMul; attention MatMuls stay float', () => {
  const model = readOnnxModel(MODEL);
  const { model: q, quantized } = quantizeDynamicInt8(model);
  const ops = (m: typeof model) => m.graph!.node.map((n) => n.opType);
  // The fixture (2 layers): per layer the qkv and two MLP MatMuls and the out-proj Gemm (its bias via Identity), plus the pooler Gemm.
  const weighted = model.graph!.node.filter((n) => (n.opType === 'MatMul' || n.opType === 'Gemm') && model.graph!.initializer.some((t) => t.name === n.input[1])).length;
  assert.ok(weighted > 0);
  assert.equal(weighted, 9);
  assert.equal(quantized, weighted);
  assert.equal(ops(q).filter((o) => o === 'DynamicQuantizeMatMul').length, weighted);
  assert.equal(ops(q).filter((o) => o === 'MatMul').length, 4, 'the two attention MatMuls of each layer stay float');
  assert.equal(ops(q).filter((o) => o === 'Gemm').length, 0);
  assert.ok(q.opsetImport.some((o) => o.domain === 'com.microsoft'));
  // Weights are int8 now; no float copy of a quantised weight is left behind.
  const inits = new Map(q.graph!.initializer.map((t) => [t.name, t]));
  for (const n of q.graph!.node.filter((x) => x.opType === 'DynamicQuantizeMatMul')) assert.equal(inits.get(n.input[1]!)!.dataType, 3 /* INT8 */);
  assert.ok(serializeModel(q).length < serializeModel(model).length);
  // The source model is untouched.
  assert.equal(ops(model).filter((o) => o === 'DynamicQuantizeMatMul').length, 0);
});

for (const mode of ['per_tensor', 'per_channel'] as const) {
  test(`int8 rewrite (${mode}) runs in onnxruntime-node and matches onnxruntime-Python's quantize_dynamic`, async () => {
    // 7-bit weights as the fixture's reduce_range=True: no int16 saturation on any x86 CPU, so the outputs are the same everywhere.
    const { model } = quantizeDynamicInt8(readOnnxModel(MODEL), { perChannel: mode === 'per_channel', weightBits: 7 });
    const out = await run(serializeModel(model));
    for (const name of NAMES) {
      const ours = out[name]!.data, theirs = py.modes[mode][name]!.values, fp32 = golden.outputs[name]!.values;
      assert.deepEqual(out[name]!.dims, golden.outputs[name]!.shape);
      // Both quantise the same 9 weights (the attention MatMuls stay float in both) but do not round alike (weight
      // scales, fused vs separate kernels): ours is close to theirs, and as close to fp32 as theirs is.
      assert.ok(cosine(ours, theirs) > 0.9998, `${name}: cosine to onnxruntime-Python's int8 ${cosine(ours, theirs)}`);
      assert.ok(cosine(ours, fp32) > 0.9999, `${name}: cosine to fp32 ${cosine(ours, fp32)}`);
      assert.ok(Math.abs(cosine(ours, fp32) - cosine(theirs, fp32)) < 1e-4, `${name}: cosine to fp32 ${cosine(ours, fp32)} vs Python's ${cosine(theirs, fp32)}`);
    }
  });
}

test('int8 rewrite of an external-data model reads its weights into one self-contained file', async () => {
  const model = inlineExternalData(readOnnxModel(EXTERNAL), EXTERNAL);
  const { model: q } = quantizeDynamicInt8(model, { perChannel: false, weightBits: 7 });
  const bytes = serializeModel(q);
  assert.equal(parseModel(bytes).graph!.initializer.filter((t) => t.externalData.length > 0).length, 0);
  const out = await run(bytes);
  for (const name of NAMES) assert.ok(cosine(out[name]!.data, py.modes.per_tensor[name]!.values) > 0.998, name);
});

test('int8 store: content-addressed, sealed file in the cache folder; reused; a tampered file is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-int8-'));
  try {
    const source = createHash('sha256').update(readFileSync(MODEL)).digest('hex');
    const first = int8ModelFor(MODEL, source, dir);
    assert.equal(first.reused, false);
    assert.equal(first.file, join(dir, `${first.sha}.onnx`));
    assert.equal(createHash('sha256').update(readFileSync(first.file)).digest('hex'), first.sha, 'named by its own SHA-256');
    const again = int8ModelFor(MODEL, source, dir);
    assert.equal(again.reused, true);
    assert.equal(again.sha, first.sha);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.onnx')).length, 1);

    const bytes = readFileSync(first.file);
    bytes[bytes.length - 10] ^= 1;
    writeFileSync(first.file, bytes);
    assert.throws(() => int8ModelFor(MODEL, source, dir), (e: unknown) => e instanceof UserError && /fails its checksum/.test(e.message) && e.message.includes(first.sha) && !e.message.includes('\n'));
    // Deleting it rebuilds the same bytes (the rewrite is deterministic).
    rmSync(first.file);
    const rebuilt = int8ModelFor(MODEL, source, dir);
    assert.equal(rebuilt.sha, first.sha);
    assert.ok(existsSync(first.file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
