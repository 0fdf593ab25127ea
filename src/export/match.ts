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

/**
 * A query whose nearest gallery image is this close (cosine distance 1 - cos) is that image: the browser's and Node's
 * embeddings of one file agree to 1e-4 (test/web/browser.test.ts). A gallery image is a sample of the distribution the
 * threshold describes, so it is in-distribution by definition, whatever its kNN score: at 95% TPR the k-th
 * neighbour of an image in a sparse corner of the gallery lies beyond the threshold about one time in twenty, and the
 * page then called the user's own training image, shown as its own nearest neighbour, "out-of-distribution".
 */
export const SAME_IMAGE_DISTANCE = 1e-4;

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
  const galleryImage = ranked.length > 0 && 1 - ranked[0]!.similarity <= SAME_IMAGE_DISTANCE;
  return { neighbours: ranked.slice(0, show), score, threshold, outOfDistribution: !galleryImage && score > threshold };
}
