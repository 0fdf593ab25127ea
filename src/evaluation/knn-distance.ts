/**
 * The one definition of the kNN OOD score (Sun et al. 2022, "Out-of-distribution detection with deep nearest
 * neighbors"): the Euclidean distance between unit-normalised embeddings to the k-th nearest ID neighbour, which
 * for cosine similarity c is sqrt(2 - 2c). The scorecard, the export's gallery calibration and the web page all
 * use it, so a threshold chosen on one side means the same on the other. Browser-safe, no imports.
 */
export const KNN_OOD_SCORE = 'knn-distance';

/** sqrt(2 - 2 cos), clamped at 0 against rounding (cos may exceed 1 by an ulp). */
export function knnDistanceFromCosine(cosine: number): number {
  return Math.sqrt(Math.max(0, 2 - 2 * cosine));
}
