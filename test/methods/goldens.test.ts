/**
 * The losses against values computed outside the project: test/methods/fixtures/method-goldens.json is written by
 * scripts/goldens/method_goldens.py, a float64 PyTorch transcription of the authors' reference code (TinTeM:
 * proteus_vmfsne7_reversed.py + CosPress_imagenet_dinov2_vits.yaml; Proteus: proteus.py + its run config; PKT:
 * passalis/probabilistic_kt). The float32 tensor code must match losses and gradients at rtol 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tf, initBackend } from '../../src/backend/index.js';
import { createTintem } from '../../src/methods/tintem.js';
import { createProteus } from '../../src/methods/proteus.js';
import { createRelational } from '../../src/methods/relational.js';
import type { LnLinear } from '../../src/methods/lnLinear.js';
import type { DistillMethod } from '../../src/methods/types.js';

await initBackend();

interface Head { gamma: number[]; beta: number[]; kernel: number[]; bias: number[] }
interface Case {
  name: string; batch: number; patches: number; teacherDim: number; studentDim: number; taus: number[];
  teacherPooled: number[]; teacherTokens: number[]; studentPooled: number[]; studentTokens: number[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- nested gradient fixtures of varying shape
  terms: Record<string, number>; total: number; grads: Record<string, any>;
  head: Head; tokenHead: Head; feaHead: Head; epsClampedVariant: Record<string, number>;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/method-goldens.json', import.meta.url), 'utf8')) as { tintem: Case[]; proteus: Case[]; pkt: Case[] };

const RTOL = 1e-4;
/** |a - e| <= rtol * (|e| + scale): rtol relative to each value, with the array's largest magnitude as the floor
 * times 0.1, itself at least 1e-3 (a gradient entry 1e-9 next to entries of 1 is not measurable in float32; nor
 * is a loss of 6e-8: the absolute floor is then 1e-8). */
function assertClose(actual: ArrayLike<number>, expected: number[], what: string, floor = 1e-3): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(floor, ...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    assert.ok(Math.abs(a - e) <= RTOL * (Math.abs(e) + scale * 1e-1), `${what}[${i}]: ${a} vs golden ${e} (scale ${scale})`);
  }
}

function setHead(head: LnLinear, values: Head): void {
  tf.tidy(() => {
    head.gamma!.assign(tf.tensor1d(values.gamma));
    head.beta!.assign(tf.tensor1d(values.beta));
    head.kernel.assign(tf.tensor2d(values.kernel, [head.inDim, head.outDim]));
    head.bias.assign(tf.tensor1d(values.bias));
  });
}

/** Loss terms and the gradient of their weighted sum w.r.t. the method's variables and the student outputs. */
function evaluate(method: DistillMethod, c: Case, withTokens = true) {
  const sp = tf.tidy(() => tf.variable(tf.tensor2d(c.studentPooled, [c.batch, c.studentDim]), true, `golden/sp/${c.name}/${method.name}`));
  const st = withTokens ? tf.tidy(() => tf.variable(tf.tensor3d(c.studentTokens, [c.batch, c.patches, c.studentDim]), true, `golden/st/${c.name}/${method.name}`)) : undefined;
  const teacher = {
    pooled: tf.tensor2d(c.teacherPooled, [c.batch, c.teacherDim]),
    tokens: withTokens ? tf.tensor3d(c.teacherTokens, [c.batch, c.patches, c.teacherDim]) : undefined,
  };
  const terms: Record<string, number> = {};
  const vars = [...method.variables, sp, ...(st ? [st] : [])];
  const { value, grads } = tf.variableGrads(() => {
    const t = method.losses({ pooled: sp, tokens: st ?? tf.zeros([c.batch, 1, c.studentDim]) as tf.Tensor3D }, teacher);
    for (const [k, v] of Object.entries(t)) terms[k] = v.dataSync()[0]!;
    return tf.addN(Object.entries(t).map(([k, v]) => tf.mul(v, method.weights[k]!))) as tf.Scalar;
  }, vars);
  const out = { terms, total: value.dataSync()[0]!, grad: (v: tf.Variable) => grads[v.name]!.dataSync() };
  const result = { ...out, grads: Object.fromEntries(vars.map((v) => [v.name, out.grad(v)])), sp, st };
  tf.dispose([value, ...Object.values(grads), teacher.pooled, ...(teacher.tokens ? [teacher.tokens] : [])]);
  return { ...result, dispose: () => { sp.dispose(); st?.dispose(); } };
}

for (const c of fixture.tintem) {
  test(`tintem golden ${c.name}: loss terms and gradients match the float64 reference at rtol 1e-4`, () => {
    const method = createTintem({ teacherDim: c.teacherDim, studentDim: c.studentDim, seed: 1, taus: c.taus });
    setHead(method.head, c.head);
    const before = tf.memory().numTensors;
    const r = evaluate(method, c);
    assert.deepEqual(Object.keys(r.terms).sort(), ['headGlobal', 'headLocal', 'studentPooled', 'studentTokens']);
    for (const k of Object.keys(c.terms)) assertClose([r.terms[k]!], [c.terms[k]!], `${c.name} ${k}`);
    assertClose([r.total], [c.total], `${c.name} total`);
    const h = method.head;
    assertClose(r.grads[h.gamma!.name]!, c.grads.gamma, `${c.name} d/d gamma`);
    assertClose(r.grads[h.beta!.name]!, c.grads.beta, `${c.name} d/d beta`);
    assertClose(r.grads[h.kernel.name]!, c.grads.kernel, `${c.name} d/d kernel`);
    assertClose(r.grads[h.bias.name]!, c.grads.bias, `${c.name} d/d bias`);
    assertClose(r.grads[r.sp.name]!, c.grads.studentPooled, `${c.name} d/d student pooled`);
    assertClose(r.grads[r.st!.name]!, c.grads.studentTokens, `${c.name} d/d student tokens`);
    r.dispose();
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
    method.dispose();
  });
}

test('tintem at tau = 0.01 equals the float64 log-space value where a probability-space eps clamp would not', () => {
  // The fixture also holds what the old (P + 1e-10) formula gives on the same inputs: the cases must tell them apart.
  const cases = fixture.tintem.filter((c) => c.taus.length === 1 && c.taus[0] === 0.01);
  assert.ok(cases.length >= 2);
  let separated = 0;
  for (const c of cases) {
    const method = createTintem({ teacherDim: c.teacherDim, studentDim: c.studentDim, seed: 1, taus: c.taus });
    setHead(method.head, c.head);
    const r = evaluate(method, c);
    for (const k of ['headGlobal', 'headLocal']) {
      const want = c.terms[k]!, clamped = c.epsClampedVariant[k]!;
      if (want > 1e-3 && Math.abs(clamped - want) > 0.01 * want) {
        separated++;
        assert.ok(Math.abs(r.terms[k]! - want) <= RTOL * want, `${c.name} ${k}: ${r.terms[k]} vs golden ${want} (eps-clamped formula: ${clamped})`);
      }
    }
    r.dispose();
    method.dispose();
  }
  assert.ok(separated >= 2, 'at least two terms where the eps clamp shifts the loss by more than 1 %');
});

for (const c of fixture.proteus) {
  test(`proteus golden ${c.name}: token + fea MSE terms and gradients match the float64 reference`, () => {
    const method = createProteus({ teacherDim: c.teacherDim, studentDim: c.studentDim, seed: 1 });
    setHead(method.projector, c.tokenHead);
    setHead(method.tokenProjector, c.feaHead);
    const r = evaluate(method, c);
    for (const k of Object.keys(c.terms)) assertClose([r.terms[k]!], [c.terms[k]!], `${c.name} ${k}`);
    for (const [head, name] of [[method.projector, 'tokenHead'], [method.tokenProjector, 'feaHead']] as const) {
      for (const p of ['gamma', 'beta', 'kernel', 'bias'] as const) assertClose(r.grads[head[p]!.name]!, c.grads[name][p], `${c.name} d/d ${name}.${p}`);
    }
    assertClose(r.grads[r.sp.name]!, c.grads.studentPooled, `${c.name} d/d student pooled`);
    assertClose(r.grads[r.st!.name]!, c.grads.studentTokens, `${c.name} d/d student tokens`);
    r.dispose();
    method.dispose();
  });
}

for (const c of fixture.pkt) {
  test(`relational (PKT) golden ${c.name}: loss and gradient match the float64 reference`, () => {
    const method = createRelational({ teacherDim: c.teacherDim, studentDim: c.studentDim });
    const r = evaluate(method, c, false);
    assertClose([r.terms.relational!], [c.terms.relational!], `${c.name} relational`);
    assertClose(r.grads[r.sp.name]!, c.grads.studentPooled, `${c.name} d/d student pooled`);
    r.dispose();
  });
}
