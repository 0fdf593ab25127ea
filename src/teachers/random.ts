/**
 * A tiny random-init conv net teacher for fast tests: two stride-2 3x3 convs with ReLU, weights drawn from the
 * seeded Rng (not tf's RNG), so the same seed gives the same teacher on every backend.
 */
import { tf } from '../backend/index.js';
import { Rng } from '../util/random.js';
import { UserError } from '../util/errors.js';
import { FeatureMapTeacher } from './featureMapTeacher.js';
import { MINUS_ONE_TO_ONE, normalizationTag } from './features.js';
import type { Teacher } from './types.js';

export interface RandomTeacherOptions {
  seed?: number;
  embedDim?: number;
  grid?: number;
  inputSize?: number;
}

/** He-normal conv kernel [k, k, cin, cout] from the Rng. */
function heKernel(rng: Rng, k: number, cin: number, cout: number): tf.Tensor4D {
  const values = new Float32Array(k * k * cin * cout);
  const std = Math.sqrt(2 / (k * k * cin));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal() * std;
  return tf.tensor4d(values, [k, k, cin, cout]);
}

export function createRandomTeacher(opts: RandomTeacherOptions = {}): Teacher {
  const seed = opts.seed ?? 0;
  const embedDim = opts.embedDim ?? 32;
  const grid = opts.grid ?? 2;
  const inputSize = opts.inputSize ?? 32;
  for (const [name, v, min] of [['embedDim', embedDim, 1], ['grid', grid, 1], ['inputSize', inputSize, 8]] as const) {
    if (!Number.isInteger(v) || v < min) throw new UserError(`random teacher: ${name} must be an integer >= ${min}, got ${v}`);
  }
  const rng = new Rng(seed);
  const hidden = 16;
  const k1 = heKernel(rng.fork('conv1'), 3, 3, hidden);
  const k2 = heKernel(rng.fork('conv2'), 3, hidden, embedDim);
  const norm = MINUS_ONE_TO_ONE;
  return FeatureMapTeacher.create({
    identity: { model: `random:seed${seed}:dim${embedDim}`, inputSize, normalization: normalizationTag(norm) },
    inputSize, grid, normalization: norm,
    run: (x) => tf.relu(tf.conv2d(tf.relu(tf.conv2d(x, k1, 2, 'same')), k2, 2, 'same')),
    release: () => { k1.dispose(); k2.dispose(); },
    graph: false, // two small convolutions: nothing for a compiled graph to gain
  });
}
