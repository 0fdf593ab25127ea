/** The statistics helpers live in util/stats.ts (one copy for every stage); re-exported for evaluation code. */
export * from '../util/stats.js';
