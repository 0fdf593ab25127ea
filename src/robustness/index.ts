/** Seeded ImageNet-C-style corruptions, corrupted-dataset files, contact sheets and robustness evaluation. */
export * from './apply.js';
export * from './contactSheet.js';
export * from './evaluate.js';
export * from './image.js';
export { CORRUPTION_NAMES, corruptionParams, lengthScale, checkSeverity, isCorruptionName, SMALL_IMAGE_SIDE } from './params.js';
export type { CorruptionName, CorruptionParams, LengthScale } from './params.js';
export * from './store.js';
export { syntheticScene } from './synthetic.js';
