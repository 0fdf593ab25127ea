import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { quantileSorted } from './stats.js';

export interface BootstrapOptions {
  seed: number;
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Two-sided coverage of the interval (default 0.95). */
  level?: number;
  /**
   * Stratum of each of the n items: resampling happens within each stratum, keeping its size (e.g. ID vs OOD
   * samples for AUROC, so every resample has both).
   */
  strata?: Int32Array;
}

export interface ConfidenceInterval {
  /** The statistic on the original sample (identity indices). */
  estimate: number;
  lower: number;
  upper: number;
  level: number;
  /** Resamples whose statistic was finite (the interval uses only these). */
  resamples: number;
}

/**
 * Percentile bootstrap confidence interval (Efron & Tibshirani 1993, ch. 13): evaluate `statistic` on
 * `resamples` seeded draws of n indices with replacement, and take the (1-level)/2 and (1+level)/2 quantiles.
 * The models are held fixed: this measures the sampling noise of the evaluation set only. Non-finite
 * resample values are dropped; if none remain, lower and upper are NaN.
 */
export function bootstrapCi(statistic: (idx: Int32Array) => number, n: number, opts: BootstrapOptions): ConfidenceInterval {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new UserError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new UserError(`bootstrap: level must be in (0, 1), got ${level}`);
  if (opts.strata && opts.strata.length !== n) throw new UserError(`bootstrap: ${opts.strata.length} strata for ${n} items`);
  const identity = Int32Array.from({ length: n }, (_, i) => i);
  const estimate = statistic(identity);
  const groups = strataGroups(identity, opts.strata);
  const rng = new Rng(opts.seed);
  const values: number[] = [];
  const idx = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    let o = 0;
    for (const members of groups) for (let i = 0; i < members.length; i++) idx[o++] = members[rng.int(members.length)]!;
    const v = statistic(idx);
    if (Number.isFinite(v)) values.push(v);
  }
  const sorted = Float64Array.from(values).sort();
  const alpha = (1 - level) / 2;
  return { estimate, lower: quantileSorted(sorted, alpha), upper: quantileSorted(sorted, 1 - alpha), level, resamples: values.length };
}

function strataGroups(identity: Int32Array, strata?: Int32Array): Int32Array[] {
  if (!strata) return [identity];
  const byStratum = new Map<number, number[]>();
  for (let i = 0; i < strata.length; i++) {
    const list = byStratum.get(strata[i]!) ?? [];
    list.push(i);
    byStratum.set(strata[i]!, list);
  }
  return [...byStratum.keys()].sort((a, b) => a - b).map((s) => Int32Array.from(byStratum.get(s)!));
}

/** Bootstrap CI of the mean of per-item values (accuracy from 0/1 hits, agreement, ...). */
export function bootstrapMeanCi(values: ArrayLike<number>, opts: BootstrapOptions): ConfidenceInterval {
  return bootstrapCi((idx) => {
    if (idx.length === 0) return NaN;
    let s = 0;
    for (let i = 0; i < idx.length; i++) s += values[idx[i]!]!;
    return s / idx.length;
  }, values.length, opts);
}
