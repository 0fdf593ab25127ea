/**
 * The graph-compiled training step (src/backend/graph) against the eager step: 20 steps each from the same
 * seed, for the CNN student and every method, agree within 1e-4 relative on every loss term and weight; the
 * graph path really ran (all 20 steps, one native call each); and a step that reads a tensor on the host
 * falls back to eager with the reason.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend } from '../../src/backend/index.js';
import { train, type TrainEvent } from '../../src/training/trainer.js';
import { methodNames } from '../../src/methods/index.js';
import type { DistillMethod } from '../../src/methods/types.js';
import { UserError } from '../../src/util/errors.js';
import { snapshot, tinyMethod, tinyStudent } from './fixtures.js';
import { config, data, run, teacherSource, TEACHER_DIM } from './graph-setup.js';

before(async () => { await initBackend(); });

type RunOutput = Awaited<ReturnType<typeof run>>;

/** Every loss term of every step and every weight within 1e-4 relative (floor 1e-3 for values near 0). */
function assertSameRun(g: Pick<RunOutput, 'log' | 'weights'>, e: Pick<RunOutput, 'log' | 'weights'>): void {
  assert.equal(g.log.length, e.log.length);
  g.log.forEach((rec, i) => {
    relClose(rec.loss, e.log[i]!.loss, `step ${i + 1} loss`);
    for (const k of Object.keys(e.log[i]!.terms)) relClose(rec.terms[k]!, e.log[i]!.terms[k]!, `step ${i + 1} ${k}`);
  });
  assert.equal(g.weights.length, e.weights.length);
  let worst = 0;
  g.weights.forEach((w, i) => w.forEach((x, j) => {
    const y = e.weights[i]![j]!;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-3));
  }));
  assert.ok(worst <= 1e-4, `largest relative weight difference ${worst}`);
}

const relClose = (a: number, b: number, what: string) => {
  assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(Math.abs(a), Math.abs(b), 1e-3), `${what}: graph ${a} vs eager ${b}`);
};

for (const method of methodNames()) {
  test(`graph step = eager step over 20 steps (${method}): every loss term and weight within 1e-4 relative`, async () => {
    const numBefore = tf.memory().numTensors;
    const g = await run(method, 'graph');
    assert.equal(g.log.length, 20);
    // One path event: the run stayed on the graph path from the first step to the last.
    const paths = g.events.filter((e): e is Extract<TrainEvent, { type: 'path' }> => e.type === 'path');
    assert.deepEqual(paths.map((p) => [p.path, p.reason]), [['graph', undefined]]);
    assert.ok(paths[0]!.kernels > 100, `recorded ${paths[0]!.kernels} kernels`);
    const e = await run(method, 'eager');
    assert.equal(e.log.length, 20);
    assertSameRun(g, e);
    assert.equal(tf.memory().numTensors, numBefore, 'tensors leaked');
  });
}

test('a step that reads a tensor on the host: auto falls back to eager with the reason and trains exactly as eager; graph refuses', async () => {
  const hostReading = (): DistillMethod => {
    const inner = tinyMethod(TEACHER_DIM, 4, 9);
    return {
      ...inner,
      losses(student, teacher) {
        const terms = inner.losses(student, teacher);
        // A data-dependent choice: what a graph recorded once could not repeat.
        const scale = terms.student!.dataSync()[0]! > 100 ? 0.5 : 1;
        return { ...terms, student: tf.mul(terms.student!, scale) as tf.Scalar };
      },
    };
  };
  const runTiny = async (stepPath: 'auto' | 'graph' | 'eager') => {
    const student = tinyStudent(3, 4, 16);
    const method = hostReading();
    const events: TrainEvent[] = [];
    try {
      await train({
        student, method, data, config: { ...config, epochs: 1, stepPath }, runDir: mkdtempSync(join(tmpdir(), 'tintem-graph-fallback-')),
        onEvent: (e) => events.push(e), teacherFeatures: teacherSource,
      });
      return { weights: snapshot(student, method), events };
    } finally {
      student.dispose();
      method.dispose();
    }
  };
  await assert.rejects(runTiny('graph'), (err: unknown) => err instanceof UserError && /^trainStep: graph: .*reads a tensor on the host/.test(err.message));
  const g = await runTiny('auto');
  const paths = g.events.filter((e): e is Extract<TrainEvent, { type: 'path' }> => e.type === 'path');
  assert.equal(paths.length, 1);
  assert.equal(paths[0]!.path, 'eager');
  assert.match(paths[0]!.reason ?? '', /reads a tensor on the host .*cannot be one graph/);
  const e = await runTiny('eager');
  assert.deepEqual(g.weights, e.weights, 'the fallback run is the eager run');
});

/** The 20-step run of graph-setup.ts in a child process with oneDNN set as given (it is fixed per process). */
function runInChild(method: string, path: 'graph' | 'eager', oneDnn: boolean) {
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'graph-child.ts'), method, path], {
    env: { ...process.env, TF_ENABLE_ONEDNN_OPTS: oneDnn ? '1' : '0', TF_CPP_MIN_LOG_LEVEL: '3' }, encoding: 'utf8', maxBuffer: 64 << 20,
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as RunOutput & { paths: Array<{ path: string }>; oneDnn: string };
}

test('the graph step with oneDNN kernels on (how distill runs it) matches the eager step without them (tintem, 20 steps)', () => {
  const g = runInChild('tintem', 'graph', true);
  const e = runInChild('tintem', 'eager', false);
  assert.deepEqual([g.oneDnn, e.oneDnn], ['1', '0']);
  assert.deepEqual(g.paths.map((p) => p.path), ['graph']);
  assertSameRun(g, e);
});
