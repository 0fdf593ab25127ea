/** Small exact statistics on plain arrays (float64 accumulation). NaN means "undefined here"; callers name why. */

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

/** Pearson correlation; NaN when either side is constant or the lengths are below 2. */
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
  if (sxx === 0 || syy === 0) return NaN;
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

export function mean(x: Numbers): number {
  if (x.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

/** Quantile of ascending-sorted values with linear interpolation (numpy's default, Hyndman-Fan type 7). */
export function quantileSorted(sorted: Numbers, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
