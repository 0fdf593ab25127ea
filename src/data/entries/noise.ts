/** Data sources `noise` and `blobs`: synthetic images generated from the seed (implementation: ../noise.ts). */
import type { DataSourceEntry } from '../registry.js';

/** Images generated when the spec gives no count. */
const DEFAULT_COUNT = 1000;

function syntheticSource(name: 'noise' | 'blobs', summary: string, channels: 1 | 3): DataSourceEntry {
  return {
    name,
    usage: `${name}[:<count>]`,
    summary,
    check: (arg) => (arg === undefined || /^\d+$/.test(arg) ? undefined : `${name}:<count> needs a whole number of images`),
    defaultShape: () => ({ size: 28, channels }),
    redecodable: false,
    seeded: () => true,
    doctor: async () => [{ name: `data ${name}:<n>`, ok: true, detail: 'synthetic' }],
    async load(arg, opts) {
      const { makeNoiseImages } = await import('../noise.js');
      const count = Math.min(arg !== undefined ? Number(arg) : DEFAULT_COUNT, opts.limit ?? Infinity);
      return makeNoiseImages({ count, size: opts.size ?? 28, channels: opts.channels ?? channels, seed: opts.seed ?? 0, ...(name === 'blobs' ? { kind: 'blobs' as const } : {}) });
    },
  };
}

export const noiseSource = syntheticSource('noise', 'uniform noise images, 28 px grey by default (an OOD set)', 1);
export const blobsSource = syntheticSource('blobs', 'soft colour blobs on a dark background, 28 px colour by default (an OOD set)', 3);
