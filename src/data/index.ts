/** The data stage's index: loaders, augmentations, ImageSet helpers and the data-source registry. */
export type { ImageSet } from './types.js';
export * from './registry.js';
export * from './images.js';
export * from './idx.js';
export * from './mnist.js';
export * from './imageFolder.js';
export * from './photos.js';
export * from './noise.js';
export * from './augment.js';
