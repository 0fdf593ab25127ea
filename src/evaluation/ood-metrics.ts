/**
 * OOD detection metrics. Convention throughout tintem: a HIGHER score means MORE out-of-distribution.
 * "positive" names the class a metric treats as the detection target:
 * - AUROC: OOD positive (probability a random OOD sample scores above a random ID one, ties counting half;
 *   with two classes it is the same number with ID positive and the score negated).
 * - FPR@95%TPR, ID positive (the usual OOD-literature convention, e.g. Liang et al. 2018, Sun et al. 2022):
 *   keep 95% of ID samples as ID, report the fraction of OOD samples also kept.
 * - FPR@95%TPR, OOD positive: flag 95% of OOD samples, report the fraction of ID samples also flagged.
 * - AUPR-In: average precision with ID positive (score negated); AUPR-Out: OOD positive.
 * Thresholds follow scikit-learn's roc_curve / average_precision_score (a sample is flagged when its score
 * is >= the threshold, thresholds are the distinct scores), so numbers match sklearn on the same inputs.
 */
import { averageRanks, argsort } from './stats.js';

type Numbers = ArrayLike<number>;

/** Exact rank-based AUROC with OOD positive (Mann-Whitney U / (nId * nOod)); ties count half. NaN if a side is empty. */
export function auroc(idScores: Numbers, oodScores: Numbers): number {
  const nI = idScores.length, nO = oodScores.length;
  if (nI === 0 || nO === 0) return NaN;
  const ranks = averageRanks(concat(idScores, oodScores));
  let rankSum = 0;
  for (let i = nI; i < nI + nO; i++) rankSum += ranks[i]!;
  return (rankSum - (nO * (nO + 1)) / 2) / (nI * nO);
}

export interface FprAtTpr {
  /** ID positive: fraction of OOD samples scoring <= the largest threshold that keeps >= tpr of ID samples. */
  idPositive: number;
  /** OOD positive: fraction of ID samples scoring >= the smallest threshold that flags >= tpr of OOD samples. */
  oodPositive: number;
}

/** False-positive rate at a true-positive rate (default 0.95), in both conventions. */
export function fprAtTpr(idScores: Numbers, oodScores: Numbers, tpr = 0.95): FprAtTpr {
  if (idScores.length === 0 || oodScores.length === 0) return { idPositive: NaN, oodPositive: NaN };
  const idSorted = Float64Array.from(idScores).sort();
  const oodSorted = Float64Array.from(oodScores).sort();
  // ID kept as ID when score <= lambda; lambda = the ceil(tpr * nId)-th smallest ID score.
  const lambdaId = idSorted[Math.max(0, Math.ceil(tpr * idSorted.length - 1e-9) - 1)]!;
  let oodKept = 0;
  for (const s of oodSorted) if (s <= lambdaId) oodKept++;
  // OOD flagged when score >= lambda; lambda = the ceil(tpr * nOod)-th largest OOD score.
  const lambdaOod = oodSorted[oodSorted.length - Math.max(1, Math.ceil(tpr * oodSorted.length - 1e-9))]!;
  let idFlagged = 0;
  for (const s of idSorted) if (s >= lambdaOod) idFlagged++;
  return { idPositive: oodKept / oodSorted.length, oodPositive: idFlagged / idSorted.length };
}

/**
 * Average precision (area under the precision-recall curve as scikit-learn computes it:
 * sum over distinct thresholds of (R_t - R_{t-1}) * P_t), with `positives` flagged by score >= threshold.
 */
export function averagePrecision(positiveScores: Numbers, negativeScores: Numbers): number {
  const nP = positiveScores.length, nN = negativeScores.length;
  if (nP === 0 || nN === 0) return NaN;
  const scores = concat(positiveScores, negativeScores);
  const order = argsort(scores).reverse();
  let tp = 0, fp = 0, ap = 0, prevRecall = 0;
  for (let i = 0; i < order.length;) {
    const s = scores[order[i]!]!;
    while (i < order.length && scores[order[i]!] === s) {
      if (order[i]! < nP) tp++; else fp++;
      i++;
    }
    const recall = tp / nP;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/** AUPR-In (ID positive, lower score = more ID) and AUPR-Out (OOD positive). */
export function aupr(idScores: Numbers, oodScores: Numbers): { in: number; out: number } {
  return {
    in: averagePrecision(Array.from(idScores, (s) => -s), Array.from(oodScores, (s) => -s)),
    out: averagePrecision(oodScores, idScores),
  };
}

export interface RocCurve { fpr: number[]; tpr: number[] }

/**
 * ROC curve with OOD positive, one point per distinct threshold from (0, 0) to (1, 1), evenly thinned to at
 * most `maxPoints` points (first and last kept) so reports stay small.
 */
export function rocCurve(idScores: Numbers, oodScores: Numbers, maxPoints = 200): RocCurve {
  const nI = idScores.length, nO = oodScores.length;
  if (nI === 0 || nO === 0) return { fpr: [], tpr: [] };
  const scores = concat(oodScores, idScores);
  const order = argsort(scores).reverse();
  const fpr = [0], tpr = [0];
  let tp = 0, fp = 0;
  for (let i = 0; i < order.length;) {
    const s = scores[order[i]!]!;
    while (i < order.length && scores[order[i]!] === s) {
      if (order[i]! < nO) tp++; else fp++;
      i++;
    }
    fpr.push(fp / nI);
    tpr.push(tp / nO);
  }
  if (fpr.length <= maxPoints) return { fpr, tpr };
  const keep = Math.max(2, maxPoints);
  const pick = Array.from({ length: keep }, (_, j) => Math.round((j * (fpr.length - 1)) / (keep - 1)));
  return { fpr: pick.map((p) => fpr[p]!), tpr: pick.map((p) => tpr[p]!) };
}

/**
 * AUROC as a function of bootstrap indices into [ID samples..., OOD samples...], for {@link bootstrapCi} with
 * strata (resample ID and OOD separately). Sorts once; each call is one linear pass over multiplicities.
 */
export function aurocResampler(idScores: Numbers, oodScores: Numbers): (idx: Int32Array) => number {
  const nI = idScores.length;
  const scores = concat(idScores, oodScores);
  const order = argsort(scores);
  const counts = new Float64Array(scores.length);
  return (idx) => {
    counts.fill(0);
    for (let i = 0; i < idx.length; i++) counts[idx[i]!]! += 1;
    let idBelow = 0, u = 0, totalId = 0, totalOod = 0;
    for (let i = 0; i < order.length;) {
      const s = scores[order[i]!]!;
      let gi = 0, go = 0;
      while (i < order.length && scores[order[i]!] === s) {
        const j = order[i]!;
        if (j < nI) gi += counts[j]!; else go += counts[j]!;
        i++;
      }
      u += go * (idBelow + gi / 2);
      idBelow += gi;
      totalId += gi; totalOod += go;
    }
    return totalId > 0 && totalOod > 0 ? u / (totalId * totalOod) : NaN;
  };
}

function concat(a: Numbers, b: Numbers): Float64Array {
  const out = new Float64Array(a.length + b.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]!;
  for (let i = 0; i < b.length; i++) out[a.length + i] = b[i]!;
  return out;
}
