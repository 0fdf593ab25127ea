/**
 * Built-in teachers run their forward pass as a compiled graph (src/teachers/graph-forward.ts): the outputs equal
 * the eager pass (TINTEM_TEACHER_GRAPH=0) for full, padded (partial last batch) and new batch sizes, and repeated
 * passes leave no tensors behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { createTeacher, forwardTeacher, type Teacher } from '../../src/teachers/index.js';
import { seededImages } from './helpers.js';

await initBackend();

async function outputs(teacher: Teacher, x: tf.Tensor4D): Promise<{ pooled: Float32Array; tokens: Float32Array }> {
  const out = await forwardTeacher(teacher, x);
  const r = { pooled: out.pooled.dataSync() as Float32Array, tokens: out.tokens!.dataSync() as Float32Array };
  tf.dispose([out.pooled, out.tokens!]);
  return r;
}

function assertClose(a: Float32Array, e: Float32Array, what: string): void {
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - e[i]!) <= 1e-4 + 1e-4 * Math.abs(e[i]!), `${what}[${i}]: graph ${a[i]} vs eager ${e[i]}`);
}

test('mobilenet: graph forward = eager forward for batches of 12, 7 (padded to 12), 3 (its own graph), 12 again', async () => {
  const saved = process.env.TINTEM_TEACHER_GRAPH;
  process.env.TINTEM_TEACHER_GRAPH = '0';
  const eager = await createTeacher('mobilenet');
  delete process.env.TINTEM_TEACHER_GRAPH;
  const graph = await createTeacher('mobilenet');
  if (saved !== undefined) process.env.TINTEM_TEACHER_GRAPH = saved;
  const set = seededImages(12, 28, 1, 4);
  const all = tf.tensor4d(set.pixels, [12, 28, 28, 1]);
  let before = 0;
  for (const [i, n] of [12, 7, 3, 12].entries()) {
    const x = all.slice(0, n);
    const [e, g] = [await outputs(eager, x), await outputs(graph, x)];
    assertClose(g.pooled, e.pooled, `batch ${n} pooled`);
    assertClose(g.tokens, e.tokens, `batch ${n} tokens`);
    x.dispose();
    if (i === 0) before = tf.memory().numTensors;
  }
  assert.equal((graph as unknown as { inner: { graph: { active: boolean } } }).inner.graph.active, true, 'the graph path was used');
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  all.dispose();
  eager.dispose();
  graph.dispose();
});
