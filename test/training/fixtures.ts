/**
 * Tiny self-contained fixtures for the training tests: an 8x8 random image set, a two-conv student with
 * outputs [pooled, tokens], and a small head-based method (LayerNorm + Linear teacher head, cosine student
 * loss, similarity-preserving head loss), all implementing the shared interfaces.
 */
import { tf } from '../../src/backend/index.js';
import { Rng } from '../../src/util/random.js';
import type { ImageSet } from '../../src/data/types.js';
import type { Student, StudentOutput } from '../../src/students/types.js';
import type { DistillMethod, LossTerms, TeacherFeatures } from '../../src/methods/types.js';
import type { CachedView } from '../../src/training/teacher-source.js';
import type { Teacher } from '../../src/teachers/types.js';

export function randomImages(count: number, seed: number, size = 8, channels: 1 | 3 = 1): ImageSet {
  const rng = new Rng(seed);
  const pixels = new Float32Array(count * size * size * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.next();
  return { name: `random-${seed}`, count, height: size, width: size, channels, pixels };
}

export function tinyStudent(seed: number, dim = 4, size = 8): Student {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const input = tf.input({ shape: [size, size, 1] });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: dim, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: init(seed + 1) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.layerNormalization().apply(x) as tf.SymbolicTensor;
  const grid = size / 2;
  const tokens = tf.layers.reshape({ targetShape: [grid * grid, dim] }).apply(x) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [pooled, tokens] });
  return {
    spec: { kind: 'tiny', dim, size }, embedDim: dim, inputSize: size, channels: 1, tokenGrid: grid, model,
    apply(images: tf.Tensor4D, training: boolean): StudentOutput {
      const [p, t] = model.apply(images, { training }) as tf.Tensor[];
      return { pooled: p as tf.Tensor2D, tokens: t as tf.Tensor3D };
    },
    trainableVariables: () => model.trainableWeights.map((w) => w.read() as tf.Variable),
    dispose: () => model.dispose(),
  };
}

let methodCounter = 0;

/** Identity forward, zero gradient (tfjs has no stopGradient op). */
const stopGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.clone(args[0] as tf.Tensor), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor2D) => tf.Tensor2D;

/** LayerNorm + Linear head h; student term 1 - cos(s, stopgrad h(t)); head term keeps h(t)'s cosine matrix close to t's. */
export function tinyMethod(teacherDim: number, studentDim: number, seed: number): DistillMethod {
  const rng = new Rng(seed);
  const id = `tinyhead${methodCounter++}`;
  const kernel = Float32Array.from({ length: teacherDim * studentDim }, () => rng.normal() / Math.sqrt(teacherDim));
  const vars = {
    gamma: tf.variable(tf.ones([teacherDim]), true, `${id}/norm/gamma`),
    beta: tf.variable(tf.zeros([teacherDim]), true, `${id}/norm/beta`),
    kernel: tf.variable(tf.tensor2d(kernel, [teacherDim, studentDim]), true, `${id}/kernel`),
    bias: tf.variable(tf.zeros([studentDim]), true, `${id}/bias`),
  };
  const head = (t: tf.Tensor2D): tf.Tensor2D => tf.tidy(() => {
    const { mean, variance } = tf.moments(t, -1, true);
    const normed = tf.add(tf.mul(tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-5))), vars.gamma), vars.beta);
    return tf.add(tf.matMul(normed, vars.kernel), vars.bias) as tf.Tensor2D;
  });
  const cosMatrix = (x: tf.Tensor2D) => { const n = tf.div(x, tf.norm(x, 2, 1, true)); return tf.matMul(n, n, false, true); };
  return {
    name: 'tiny', weights: { student: 1, head: 1 }, variables: Object.values(vars),
    losses(student: StudentOutput, teacher: TeacherFeatures): LossTerms {
      const h = head(teacher.pooled);
      const target = stopGradient(h);
      const cos = tf.sum(tf.mul(tf.div(student.pooled, tf.norm(student.pooled, 2, 1, true)), tf.div(target, tf.norm(target, 2, 1, true))), 1);
      const studentTerm = tf.sub(1, tf.mean(cos)) as tf.Scalar;
      const headTerm = tf.mean(tf.square(tf.sub(cosMatrix(h), cosMatrix(teacher.pooled)))) as tf.Scalar;
      return { student: studentTerm, head: headTerm };
    },
    mapTeacher: head,
    dispose: () => tf.dispose(Object.values(vars)),
  };
}

export function randomCachedView(count: number, dim: number, seed: number, tokenCount = 0): CachedView {
  const rng = new Rng(seed);
  const pooled = Float32Array.from({ length: count * dim }, () => rng.normal());
  const tokens = tokenCount > 0 ? Float32Array.from({ length: count * tokenCount * dim }, () => rng.normal()) : undefined;
  return { pooled, dim, tokens, tokenCount };
}

/** A live 'teacher': a fixed random projection of the mean-pooled pixels; records what it was fed. */
export function projectionTeacher(dim: number, seed: number, channels = 1): Teacher & { seen: Float32Array[] } {
  const rng = new Rng(seed);
  const w = tf.tensor2d(Float32Array.from({ length: channels * 16 * dim }, () => rng.normal()), [channels * 16, dim]);
  const seen: Float32Array[] = [];
  return {
    id: `projection-${seed}`, embedDim: dim, inputSize: 4, seen,
    forward(images: tf.Tensor4D) {
      seen.push(images.dataSync() as Float32Array);
      return tf.tidy(() => {
        const small = tf.image.resizeBilinear(images, [4, 4]);
        return { pooled: tf.matMul(tf.reshape(small, [images.shape[0], -1]), w) as tf.Tensor2D };
      });
    },
    dispose: () => w.dispose(),
  };
}

/** Every weight of student and method as plain arrays, for bit-for-bit comparisons. */
export function snapshot(student: Student, method: DistillMethod): number[][] {
  return [...student.model.getWeights(), ...method.variables].map((t) => Array.from(t.dataSync()));
}
