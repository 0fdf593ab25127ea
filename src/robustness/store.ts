/**
 * On-disk corrupted copies of a dataset, as uint8 IDX files (the MNIST format, readable by any IDX reader):
 *
 *   <dir>/manifest.json                      what was generated, with a sha256 per file
 *   <dir>/labels.idx                         idx1 labels (when the set has labels)
 *   <dir>/clean/images.idx                   the clean images, quantised like the corrupted ones
 *   <dir>/<corruption>/<severity>/images.idx idx3 [N, H, W] (gray) or idx4 [N, H, W, 3] (RGB)
 *
 * Every file is written atomically and recorded in the manifest right after, so an interrupted run resumes
 * where it stopped and a reader never sees a torn file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageSet } from '../data/types.js';
import { MAX_IDX_BYTES, readIdx } from '../data/idx.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { MiB, readFileCheckedAsync, readTextCheckedAsync } from '../util/safe-read.js';
import { corruptImageSet } from './apply.js';
import type { CorruptionName } from './params.js';

export interface CorruptedManifest {
  format: 'tintem-corrupted/1';
  source: string;
  seed: number;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  classNames?: string[];
  /** Relative path -> sha256 of every finished file. */
  files: Record<string, string>;
}

/** Encodes an IDX file: uint8 values (dtype 0x08) or int32 labels (0x0c), big-endian dims. */
export function encodeIdx(dims: number[], values: Uint8Array | Int32Array): Uint8Array {
  const isInt = values instanceof Int32Array;
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + values.length * (isInt ? 4 : 1));
  const view = new DataView(out.buffer);
  out[2] = isInt ? 0x0c : 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  if (isInt) values.forEach((v, i) => view.setInt32(header + 4 * i, v, false));
  else out.set(values, header);
  return out;
}

function quantise(pixels: Float32Array): Uint8Array {
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, pixels[i]!)) * 255);
  return out;
}

function imageDims(set: ImageSet): number[] {
  return set.channels === 1 ? [set.count, set.height, set.width] : [set.count, set.height, set.width, 3];
}

export interface WriteCorruptedOptions {
  corruptions: readonly CorruptionName[];
  severities: readonly number[];
  seed: number;
  /** Called after each file, for progress output. */
  onFile?: (path: string, skipped: boolean) => void;
}

/** Writes corrupted copies of `set` under `dir` (resuming a matching earlier run). Returns the manifest. */
export async function writeCorruptedDataset(set: ImageSet, dir: string, opts: WriteCorruptedOptions): Promise<CorruptedManifest> {
  const manifestPath = join(dir, 'manifest.json');
  const fresh: CorruptedManifest = {
    format: 'tintem-corrupted/1', source: set.name, seed: opts.seed, count: set.count,
    height: set.height, width: set.width, channels: set.channels, classNames: set.classNames, files: {},
  };
  let manifest = fresh;
  if (existsSync(manifestPath)) {
    const old = await readManifest(dir);
    const same = old.source === fresh.source && old.seed === fresh.seed && old.count === fresh.count
      && old.height === fresh.height && old.width === fresh.width && old.channels === fresh.channels;
    if (!same) {
      throw new UserError(`--out ${dir}: holds a corrupted copy of '${old.source}' (${old.count} images, seed ${old.seed}); choose an empty directory or delete it`);
    }
    manifest = { ...old, files: { ...old.files } };
  }
  const save = async (rel: string, bytes: Uint8Array) => {
    const path = join(dir, rel);
    const digest = sha256(bytes);
    if (manifest.files[rel] === digest && existsSync(path)) { opts.onFile?.(path, true); return; }
    await writeFileAtomic(path, bytes);
    manifest.files[rel] = digest;
    await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    opts.onFile?.(path, false);
  };
  const done = (rel: string) => manifest.files[rel] !== undefined && existsSync(join(dir, rel));

  if (set.labels) await save('labels.idx', encodeIdx([set.count], set.labels));
  await save('clean/images.idx', encodeIdx(imageDims(set), quantise(set.pixels)));
  for (const name of opts.corruptions) {
    for (const severity of opts.severities) {
      const rel = `${name}/${severity}/images.idx`;
      if (done(rel)) { opts.onFile?.(join(dir, rel), true); continue; }
      const corrupted = await corruptImageSet(set, name, severity, opts.seed);
      await save(rel, encodeIdx(imageDims(set), quantise(corrupted.pixels)));
    }
  }
  return manifest;
}

export async function readManifest(dir: string): Promise<CorruptedManifest> {
  const path = join(dir, 'manifest.json');
  let parsed: CorruptedManifest;
  try {
    parsed = JSON.parse(await readTextCheckedAsync(path, { what: 'corrupted-dataset manifest', maxBytes: 64 * MiB })) as CorruptedManifest;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: cannot read corrupted-dataset manifest (${(e as Error).message.split('\n')[0]})`);
  }
  if (parsed?.format !== 'tintem-corrupted/1') throw new UserError(`${path}: not a tintem corrupted-dataset manifest (format '${String(parsed?.format)}')`);
  return parsed;
}

/**
 * Reads one corrupted copy back as an ImageSet (`corruption` 'clean' for the clean images), checking its sha256
 * against the manifest.
 */
export async function readCorruptedSet(dir: string, corruption: CorruptionName | 'clean', severity?: number): Promise<ImageSet> {
  const manifest = await readManifest(dir);
  const rel = corruption === 'clean' ? 'clean/images.idx' : `${corruption}/${severity}/images.idx`;
  const expected = manifest.files[rel];
  if (!expected) throw new UserError(`${dir}: has no ${rel} (generate it with 'tintem corrupt --corruptions ${corruption} --severities ${severity}')`);
  const path = join(dir, rel);
  const bytes = await readFileCheckedAsync(path, { what: 'corrupted images (listed in the manifest)', maxBytes: MAX_IDX_BYTES });
  if (sha256(bytes) !== expected) throw new UserError(`${path}: checksum does not match the manifest (file damaged or edited)`);
  const idx = await readIdx(path);
  const pixels = Float32Array.from(idx.data as Uint8Array, (v) => v / 255);
  let labels: Int32Array | undefined;
  if (manifest.files['labels.idx']) labels = Int32Array.from((await readIdx(join(dir, 'labels.idx'))).data);
  return {
    name: corruption === 'clean' ? `${manifest.source}` : `${manifest.source}+${corruption}@${severity}`,
    count: manifest.count, height: manifest.height, width: manifest.width, channels: manifest.channels,
    pixels, labels, classNames: manifest.classNames,
  };
}
