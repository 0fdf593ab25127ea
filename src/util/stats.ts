/**
 * Small exact statistics on plain arrays (float64 accumulation), one copy for the whole code base (evaluation,
 * robustness, report, export, benchmarks). NaN means "undefined here"; callers name why, and JSON writers turn
 * it into null at their boundary (`finiteOrNull`). Imports nothing, so the browser bundle can use it too.
 */

type Numbers = ArrayLike<number>;

/** Indices that sort `values` ascending (stable). */
export function argsort(values: Numbers): Int32Array {
  const idx = Int32Array.from({ length: values.length }, (_, i) => i);
  // Typed-array sort with a comparator is not guaranteed stable; break ties by index to keep it so.
  idx.sort((a, b) => (values[a]! - values[b]!) || a - b);
  return idx;
}

/** 1-based ranks, ties sharing their average rank (as Spearman's rho and Mann-Whitney U need). */
export function averageRanks(values: Numbers): Float64Array {
  const order = argsort(values);
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t]!] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * Pearson correlation; NaN when either side is constant or the lengths are below 2. "Constant" is relative:
 * series whose spread is below 1e-12 of their energy (equal up to rounding) count as constant.
 */
export function pearson(x: Numbers, y: Numbers): number {
  const n = x.length;
  if (n !== y.length) throw new Error(`pearson: lengths differ (${n} vs ${y.length})`);
  if (n < 2) return NaN;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]!; my += y[i]!; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx, dy = y[i]! - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  let ex = 0, ey = 0;
  for (let i = 0; i < n; i++) { ex += x[i]! * x[i]!; ey += y[i]! * y[i]!; }
  const scale = Math.max(1e-300, ex, ey);
  if (sxx <= 1e-12 * scale || syy <= 1e-12 * scale) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Spearman's rank correlation (Pearson on average ranks); NaN when either side is constant. */
export function spearman(x: Numbers, y: Numbers): number {
  return pearson(averageRanks(x), averageRanks(y));
}

/** Mean of |x - y|. */
export function meanAbsDifference(x: Numbers, y: Numbers): number {
  if (x.length !== y.length) throw new Error(`meanAbsDifference: lengths differ (${x.length} vs ${y.length})`);
  if (x.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]! - y[i]!);
  return s / x.length;
}

/** Mean; NaN for no values. */
export function mean(x: Numbers): number {
  if (x.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

/** Quantile of ascending-sorted values with linear interpolation (numpy's default, Hyndman-Fan type 7). */
export function quantileSorted(sorted: Numbers, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Mean of the finite numbers present (null/undefined/NaN skipped); NaN when there are none. */
export function meanOfPresent(values: ArrayLike<number | null | undefined>): number {
  const xs = Array.from(values).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return mean(xs);
}

/** The q-quantile (0..1) of unsorted values, linear interpolation between order statistics (numpy's default). */
export function quantile(values: Numbers, q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

/** NaN and infinities as null, for JSON. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
