/** An embedding against a gallery: nearest neighbours, kNN OOD score and the in/out-of-distribution call. Browser-safe. */
import type { Gallery } from './gallery-format.js';
import { knnScore, nearestNeighbours, normalizeRows, type Neighbour } from './knn.js';

export interface GalleryMatch {
  /** The `show` nearest gallery images, best first. */
  neighbours: Neighbour[];
  /** kNN distance sqrt(2 - 2 cos) to the k-th nearest gallery image (k = gallery.calibration.k). */
  score: number;
  threshold: number;
  outOfDistribution: boolean;
}

export interface GalleryIndex {
  gallery: Gallery;
  /** Unit-length gallery embeddings (float64). */
  unit: Float64Array;
}

export function indexGallery(gallery: Gallery): GalleryIndex {
  return { gallery, unit: normalizeRows(gallery.embeddings, gallery.embedDim) };
}

export function matchGallery(embedding: ArrayLike<number>, index: GalleryIndex, show = 8): GalleryMatch {
  const { gallery, unit } = index;
  const k = gallery.calibration.k;
  const ranked = nearestNeighbours(embedding, unit, gallery.embedDim, Math.max(k, show));
  const score = knnScore(ranked, k);
  const threshold = gallery.calibration.threshold;
  return { neighbours: ranked.slice(0, show), score, threshold, outOfDistribution: score > threshold };
}
