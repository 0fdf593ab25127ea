/** Embedding whole image sets with a teacher (through the cache) or a student model, in batches. */
import { tf } from '../backend/index.js';
import { embedWithCache } from '../cache/index.js';
import { resizeImages } from '../data/index.js';
import type { ImageSet } from '../data/types.js';
import { embeddings, type Embeddings } from '../evaluation/index.js';
import type { Teacher } from '../teachers/types.js';
import { createStageProgress } from '../training/progress.js';

/** Teacher pooled embeddings of a set, served from / stored into the embedding cache. */
export async function embedTeacherSet(teacher: Teacher, set: ImageSet, cacheDir: string, progress = true): Promise<Embeddings> {
  const r = await embedWithCache(teacher, set, { cacheDir, tokens: false, progress, quiet: !progress });
  return embeddings(r.pooled, r.dim, `teacher embeddings of ${set.name}`);
}

/** Pooled student embeddings: the model's first output, at the model's input size and channels. */
export async function embedStudentSet(model: tf.LayersModel, set: ImageSet, batchSize = 256): Promise<Embeddings> {
  const shape = model.inputs[0]!.shape;
  const size = shape[1] ?? set.height;
  const channels = (shape[3] ?? set.channels) as 1 | 3;
  const input = set.height === size && set.width === size && set.channels === channels ? set : await resizeImages(set, size, channels);
  const per = input.height * input.width * input.channels;
  let out: Float32Array | undefined;
  let dim = 0;
  // A terminal bar for the long passes (a student over a 60k-image bank); short sets pass silently.
  const bar = createStageProgress(`student ${set.name}`, input.count, 'img', { minTotal: 2000 });
  for (let start = 0; start < input.count; start += batchSize) {
    const n = Math.min(batchSize, input.count - start);
    const pooled = tf.tidy(() => {
      const x = tf.tensor4d(input.pixels.subarray(start * per, (start + n) * per), [n, input.height, input.width, input.channels]);
      const y = model.predict(x);
      return (Array.isArray(y) ? y[0]! : y) as tf.Tensor2D;
    });
    const values = pooled.dataSync() as Float32Array;
    dim = pooled.shape[1];
    pooled.dispose();
    out ??= new Float32Array(input.count * dim);
    out.set(values, start * dim);
    bar.tick(n);
  }
  bar.stop();
  return embeddings(out ?? new Float32Array(0), dim || 1, `student embeddings of ${set.name}`);
}

/** Applies a tensor map (e.g. the TinTeM head) to embeddings row-batch by row-batch. */
export function mapEmbeddings(e: Embeddings, map: (x: tf.Tensor2D) => tf.Tensor2D, batchSize = 2048): Embeddings {
  let out: Float32Array | undefined;
  let dim = 0;
  for (let start = 0; start < e.count; start += batchSize) {
    const n = Math.min(batchSize, e.count - start);
    const y = tf.tidy(() => map(tf.tensor2d(e.data.subarray(start * e.dim, (start + n) * e.dim), [n, e.dim])));
    dim = y.shape[1];
    out ??= new Float32Array(e.count * dim);
    out.set(y.dataSync() as Float32Array, start * dim);
    y.dispose();
  }
  return embeddings(out ?? new Float32Array(0), dim || 1, 'mapped embeddings');
}
