import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { accuracy } from './knn.js';
import { oneHotFloat, readAndDispose } from './neighbors.js';
import { checkLabels, inferNumClasses, type Embeddings } from './types.js';

export interface LinearProbeOptions {
  seed: number;
  /** Adam learning rates tried (default [1e-3, 1e-2, 1e-1]). */
  lrs?: number[];
  /** L2 penalties (wd/2 * ||W||^2 added to the mean cross-entropy) tried (default [0, 1e-4, 1e-3]). */
  weightDecays?: number[];
  /** Passes over the training data (default 10); raised so that at least `minSteps` updates happen. */
  epochs?: number;
  /** Minimum number of Adam updates, so tiny sets still converge (default 300). */
  minSteps?: number;
  /** Mini-batch size (default 1024, or the whole set when smaller). */
  batchSize?: number;
  /** Fraction of the training set held out to choose lr and weight decay (default 0.1). */
  valFraction?: number;
  /** Number of classes (default: largest label + 1). */
  numClasses?: number;
}

export interface ProbeGridPoint {
  lr: number;
  weightDecay: number;
  /** Accuracy on the held-out split; absent when the set was too small to hold one out. */
  valAccuracy?: number;
}

/** A softmax-regression probe on standardised frozen features. Plain arrays only: nothing to dispose. */
export interface LinearProbe {
  readonly dim: number;
  readonly numClasses: number;
  /** The hyper-parameters of the final fit (refit on the whole training set). */
  readonly chosen: ProbeGridPoint;
  /** Every grid point with its validation accuracy. */
  readonly grid: ProbeGridPoint[];
  /** Class predictions (argmax, ties to the lower class) and count x numClasses logits. */
  predict(x: Embeddings): { predictions: Int32Array; logits: Float32Array };
}

interface FitResult { weights: Float32Array; bias: Float32Array }

/**
 * Trains a linear probe: features are standardised with the training set's mean and std, then G softmax
 * regressions (one per lr x weight-decay grid point) train side by side as one D x (G*C) matrix with
 * per-column Adam step sizes, so the whole grid costs about one fit. The best grid point on a seeded
 * validation split (first in grid order on ties) is refit on all training data.
 */
export function trainLinearProbe(train: Embeddings, labels: Int32Array, opts: LinearProbeOptions): LinearProbe {
  checkLabels(labels, train.count, 'linear probe labels');
  if (train.count < 2) throw new UserError(`linear probe: needs at least 2 training embeddings, got ${train.count}`);
  const lrs = opts.lrs ?? [1e-3, 1e-2, 1e-1];
  const wds = opts.weightDecays ?? [0, 1e-4, 1e-3];
  if (lrs.length === 0 || lrs.some((v) => !(v > 0))) throw new UserError('linear probe: lrs must be a non-empty list of positive numbers');
  if (wds.length === 0 || wds.some((v) => !(v >= 0))) throw new UserError('linear probe: weightDecays must be a non-empty list of non-negative numbers');
  const valFraction = opts.valFraction ?? 0.1;
  if (!(valFraction >= 0 && valFraction < 1)) throw new UserError(`linear probe: valFraction must be in [0, 1), got ${valFraction}`);
  const numClasses = opts.numClasses ?? inferNumClasses(labels);
  if (numClasses < 1) throw new UserError('linear probe: no classes');
  const rng = new Rng(opts.seed);
  const { mean, scale } = standardisation(train);
  const grid: ProbeGridPoint[] = lrs.flatMap((lr) => wds.map((weightDecay) => ({ lr, weightDecay })));

  const order = rng.fork('val-split').permutation(train.count);
  const nVal = Math.round(train.count * valFraction);
  // Standardised inputs with a constant-1 column (the bias), built once and shared by every fit.
  const xAll = tf.tidy(() => tf.concat([standardised(train, mean, scale), tf.ones([train.count, 1])], 1) as tf.Tensor2D);
  const yAll = tf.tidy(() => oneHotFloat(labels, numClasses).expandDims(1) as tf.Tensor3D);
  let chosen: ProbeGridPoint;
  let final: FitResult;
  try {
    if (nVal >= 1 && train.count - nVal >= 1 && grid.length > 1) {
      const valIdx = order.subarray(0, nVal);
      const fitIdx = tf.tensor1d(order.subarray(nVal), 'int32');
      const fitX = xAll.gather(fitIdx), fitY = yAll.gather(fitIdx);
      fitIdx.dispose();
      let fits: FitResult[];
      try { fits = fitSoftmaxGrid(fitX, fitY, numClasses, grid, opts, rng.fork('grid')); } finally { tf.dispose([fitX, fitY]); }
      const valX = gatherRows(train, valIdx);
      const valY = Int32Array.from(valIdx, (i) => labels[i]!);
      let best = 0;
      fits.forEach((fit, g) => {
        grid[g]!.valAccuracy = accuracy(predictWith(fit, valX, mean, scale, numClasses).predictions, valY);
        if (grid[g]!.valAccuracy! > grid[best]!.valAccuracy!) best = g;
      });
      chosen = grid[best]!;
    } else {
      chosen = grid[Math.floor(grid.length / 2)]!;
    }
    final = fitSoftmaxGrid(xAll, yAll, numClasses, [chosen], opts, rng.fork('refit'))[0]!;
  } finally {
    tf.dispose([xAll, yAll]);
  }
  const dim = train.dim;
  return {
    dim, numClasses, chosen: { ...chosen }, grid,
    predict(x: Embeddings) {
      if (x.dim !== dim) throw new UserError(`linear probe: trained on dimension ${dim}, got ${x.dim}`);
      return predictWith(final, x, mean, scale, numClasses);
    },
  };
}

/** Per-dimension mean and 1/std of the training set (constant dimensions get scale 1, not a division by 0). */
function standardisation(e: Embeddings): { mean: Float32Array; scale: Float32Array } {
  const mean = new Float64Array(e.dim), sq = new Float64Array(e.dim);
  for (let i = 0; i < e.count; i++) {
    for (let j = 0; j < e.dim; j++) mean[j]! += e.data[i * e.dim + j]!;
  }
  for (let j = 0; j < e.dim; j++) mean[j]! /= e.count;
  for (let i = 0; i < e.count; i++) {
    for (let j = 0; j < e.dim; j++) { const d = e.data[i * e.dim + j]! - mean[j]!; sq[j]! += d * d; }
  }
  const scale = new Float32Array(e.dim);
  for (let j = 0; j < e.dim; j++) {
    const std = Math.sqrt(sq[j]! / e.count);
    // Spread at float32 rounding level relative to the mean is treated as constant (scale 1), as sklearn does.
    scale[j] = std > 0 && std > 1e-6 * Math.abs(mean[j]!) ? 1 / std : 1;
  }
  return { mean: Float32Array.from(mean), scale };
}

function gatherRows(e: Embeddings, idx: ArrayLike<number>): Embeddings {
  const out = new Float32Array(idx.length * e.dim);
  for (let r = 0; r < idx.length; r++) out.set(e.data.subarray(idx[r]! * e.dim, (idx[r]! + 1) * e.dim), r * e.dim);
  return { data: out, count: idx.length, dim: e.dim };
}

function standardised(x: Embeddings, mean: Float32Array, scale: Float32Array): tf.Tensor2D {
  return tf.tidy(() => tf.tensor2d(x.data, [x.count, x.dim]).sub(tf.tensor1d(mean)).mul(tf.tensor1d(scale)) as tf.Tensor2D);
}

function predictWith(fit: FitResult, x: Embeddings, mean: Float32Array, scale: Float32Array, numClasses: number): { predictions: Int32Array; logits: Float32Array } {
  if (x.count === 0) return { predictions: new Int32Array(0), logits: new Float32Array(0) };
  const logits = readAndDispose(tf.tidy(() => {
    const w = tf.tensor2d(fit.weights, [x.dim, numClasses]);
    return standardised(x, mean, scale).matMul(w).add(tf.tensor1d(fit.bias));
  }));
  const predictions = new Int32Array(x.count);
  for (let i = 0; i < x.count; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (logits[i * numClasses + c]! > logits[i * numClasses + best]!) best = c;
    predictions[i] = best;
  }
  return { predictions, logits };
}

/**
 * Mini-batch Adam on mean softmax cross-entropy + wd/2 ||W||^2 for every grid point at once, with the
 * analytic gradient (softmax - onehot) so no autodiff tape is needed. The bias is the last row of W (inputs
 * get a constant 1 column; it is not decayed). Step sizes follow a cosine decay to 0, which makes the final
 * iterate settle. Weights start at zero: the problem is convex, so the seed only affects batch order.
 */
function fitSoftmaxGrid(
  x: tf.Tensor2D, y: tf.Tensor3D, numClasses: number, grid: ProbeGridPoint[], opts: LinearProbeOptions, rng: Rng,
): FitResult[] {
  const n = x.shape[0], d = x.shape[1] - 1, C = numClasses, G = grid.length, GC = G * C;
  const batchSize = Math.min(opts.batchSize ?? 1024, n);
  const batchesPerEpoch = Math.ceil(n / batchSize);
  const epochs = Math.max(opts.epochs ?? 10, Math.ceil((opts.minSteps ?? 300) / batchesPerEpoch));
  const totalSteps = epochs * batchesPerEpoch;
  const beta1 = 0.9, beta2 = 0.999, eps = 1e-8;

  const [lrCols, decay] = tf.tidy(() => {
    const colOf = (f: (g: ProbeGridPoint) => number) => tf.tensor2d(Float32Array.from({ length: GC }, (_, c) => f(grid[Math.floor(c / C)]!)), [1, GC]);
    const notBias = tf.concat([tf.ones([d, 1]), tf.zeros([1, 1])]);
    return [colOf((g) => g.lr), notBias.matMul(colOf((g) => g.weightDecay))];
  });
  let w: tf.Tensor = tf.zeros([d + 1, GC]), m: tf.Tensor = tf.zeros([d + 1, GC]), v: tf.Tensor = tf.zeros([d + 1, GC]);
  try {
    let step = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = batchSize < n ? rng.permutation(n) : undefined;
      for (let s = 0; s < n; s += batchSize) {
        step++;
        const B = Math.min(n, s + batchSize) - s;
        // Adam with bias correction folded into the step size (Kingma & Ba 2015, section 2).
        const stepSize = (0.5 * (1 + Math.cos((Math.PI * (step - 1)) / totalSteps)) * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
        const next = tf.tidy(() => {
          const it = order ? tf.tensor1d(order.subarray(s, s + B), 'int32') : undefined;
          const xb = it ? x.gather(it) : x, yb = it ? y.gather(it) : y;
          const dLogits = tf.softmax(xb.matMul(w).reshape([B, G, C])).sub(yb).reshape([B, GC]);
          const g = xb.matMul(dLogits, true, false).div(B).add(w.mul(decay));
          const m2 = m.mul(beta1).add(g.mul(1 - beta1));
          const v2 = v.mul(beta2).add(g.square().mul(1 - beta2));
          return [w.sub(m2.div(v2.sqrt().add(eps)).mul(lrCols.mul(stepSize))), m2, v2];
        });
        tf.dispose([w, m, v]);
        [w, m, v] = next as [tf.Tensor, tf.Tensor, tf.Tensor];
      }
    }
    const all = w.dataSync() as Float32Array; // w is disposed in finally
    return grid.map((_, g) => {
      const weights = new Float32Array(d * C);
      for (let i = 0; i < d; i++) weights.set(all.subarray(i * GC + g * C, i * GC + (g + 1) * C), i * C);
      return { weights, bias: all.slice(d * GC + g * C, d * GC + (g + 1) * C) };
    });
  } finally {
    tf.dispose([lrCols, decay, w, m, v]);
  }
}
