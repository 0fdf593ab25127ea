/**
 * Loads a folder of images of any size and format that sharp decodes (jpg, png, webp, gif, tiff, avif),
 * resized to one size. Class sub-folders of the root become labels (for evaluation only).
 *
 * The folder is treated as hostile input: zero-byte, truncated, corrupt, non-image, mislabelled and
 * decompression-bomb files are skipped and reported (or, with `strict`, fail fast with a one-line UserError);
 * symlink loops are detected through visited real paths; the order is sorted, so runs are reproducible.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { quoteName } from '../util/quote.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { ImageSet } from './types.js';

export interface ImageFolderOptions {
  /** Output size: one number for square images, or [height, width]. */
  size: number | [number, number];
  channels: 1 | 3;
  /** Fail on the first unreadable file instead of skipping it. */
  strict?: boolean;
  /** Keep at most this many images (the first ones in sorted order, or a seeded random choice when `seed` is set). */
  limit?: number;
  seed?: number;
  /** How an image is fitted to the size: 'cover' (resize + centre crop, default) or 'fill' (stretch). */
  fit?: 'cover' | 'fill';
  /** Images whose header claims more pixels than this are skipped before decoding (default 50 megapixels). */
  maxPixels?: number;
  /** Decodes running at once (default 4). */
  concurrency?: number;
}

export interface SkippedFile { path: string; reason: string }

export interface ImageFolderResult { set: ImageSet; skipped: SkippedFile[] }

/** Extensions tried as images; anything else is skipped. SVG is left out on purpose (XML, external references). */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);

const DEFAULT_MAX_PIXELS = 50_000_000;

interface Candidate { path: string; label: number }

export async function loadImageFolder(dir: string, opts: ImageFolderOptions): Promise<ImageFolderResult> {
  const [height, width] = typeof opts.size === 'number' ? [opts.size, opts.size] : opts.size;
  if (![height, width].every((v) => Number.isInteger(v) && v > 0)) {
    throw new UserError(`image folder ${dir}: size must be a positive integer or [height, width], got ${JSON.stringify(opts.size)}`);
  }
  if (opts.channels !== 1 && opts.channels !== 3) throw new UserError(`image folder ${dir}: channels must be 1 or 3, got ${String(opts.channels)}`);
  let rootStat;
  try {
    rootStat = await stat(dir);
  } catch {
    throw new UserError(`image folder ${dir} does not exist`);
  }
  if (!rootStat.isDirectory()) throw new UserError(`image folder ${dir} is not a directory`);

  const skipped: SkippedFile[] = [];
  const skip = (path: string, reason: string, hidden = false) => {
    // A hidden file is never a candidate, so strict mode lists it like the rest instead of stopping at it.
    if (opts.strict && !hidden) throw new UserError(`${quoteName(path)}: ${reason} (strict mode)`);
    skipped.push({ path, reason });
  };
  const { candidates, classNames } = await scan(dir, skip);

  const order = candidates.map((_, i) => i);
  if (opts.seed !== undefined && opts.limit !== undefined) new Rng(opts.seed).shuffle(order);
  const limit = opts.limit ?? candidates.length;
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`image folder ${dir}: limit must be a non-negative integer, got ${limit}`);

  const decoded = new Map<number, Uint8Array>();
  const decodeOpts = { height, width, channels: opts.channels, fit: opts.fit ?? 'cover', maxPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS };
  let next = 0;
  // Decode in rounds of exactly the number still wanted, so skipped files are replaced by the next candidates
  // while the result stays independent of timing.
  while (decoded.size < limit && next < order.length) {
    const round = order.slice(next, next + (limit - decoded.size));
    next += round.length;
    const results = await mapBounded(round, opts.concurrency ?? 4, (i) => decodeImage(candidates[i]!.path, decodeOpts));
    round.forEach((i, k) => {
      const r = results[k]!;
      if (typeof r === 'string') skip(candidates[i]!.path, r);
      else decoded.set(i, r);
    });
  }
  if (decoded.size === 0) {
    const first = skipped[0] ? `; first skipped: ${quoteName(skipped[0].path)}: ${skipped[0].reason}` : '';
    throw new UserError(`image folder ${quoteName(dir)}: no readable images (${skipped.length} files skipped${first})`);
  }

  const kept = [...decoded.keys()].sort((a, b) => a - b);
  const per = height * width * opts.channels;
  const pixels = new Float32Array(kept.length * per);
  kept.forEach((i, n) => {
    const bytes = decoded.get(i)!;
    for (let k = 0; k < per; k++) pixels[n * per + k] = bytes[k]! / 255;
  });
  const set: ImageSet = {
    name: basename(dir) || dir, count: kept.length, height, width, channels: opts.channels, pixels,
    sources: kept.map((i) => candidates[i]!.path),
  };
  if (classNames) {
    set.labels = Int32Array.from(kept.map((i) => candidates[i]!.label));
    set.classNames = classNames;
  }
  skipped.sort((a, b) => compare(a.path, b.path));
  return { set, skipped };
}

/** Code-unit string order: the same on every machine and locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Walks the folder (following symlinks, each real directory once). Returns image candidates in sorted order;
 * when all images sit in top-level sub-folders, each of those is a class.
 */
async function scan(root: string, skip: (path: string, reason: string, hidden?: boolean) => void): Promise<{ candidates: Candidate[]; classNames?: string[] }> {
  const visited = new Set<string>([await realpath(root)]);
  const files: Array<{ path: string; top: string | undefined }> = [];

  async function walk(dir: string, top: string | undefined): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(dir)).sort(compare);
    } catch (e) {
      skip(dir, `cannot read directory (${(e as NodeJS.ErrnoException).code})`);
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      // Hidden entries (.DS_Store, .git, editor swap files) are never images of the set: listed as skipped, not read.
      if (name.startsWith('.')) { skip(path, 'hidden file (name starts with a dot)', true); continue; }
      let info;
      try {
        info = await stat(path); // follows symlinks
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        skip(path, code === 'ELOOP' ? 'symlink loop' : code === 'ENOENT' ? 'broken symlink' : `cannot stat (${code})`);
        continue;
      }
      if (info.isDirectory()) {
        const real = await realpath(path);
        if (visited.has(real)) { skip(path, 'directory already scanned (symlink loop or duplicate link)'); continue; }
        visited.add(real);
        await walk(path, top ?? name);
      } else if (info.isFile()) {
        if (info.size === 0) skip(path, 'empty file (0 bytes)');
        else if (!IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) skip(path, `not an image file extension '${extname(name) || '(none)'}'`);
        else files.push({ path, top });
      } else {
        skip(path, 'not a regular file');
      }
    }
  }
  await walk(root, undefined);
  files.sort((a, b) => compare(a.path, b.path));

  // Labelled only when every image sits inside a top-level sub-folder; otherwise everything is one unlabelled pool.
  const hasClasses = files.length > 0 && files.every((f) => f.top !== undefined);
  if (!hasClasses) return { candidates: files.map((f) => ({ path: f.path, label: -1 })) };
  const classNames = [...new Set(files.map((f) => f.top!))].sort(compare);
  const candidates: Candidate[] = files.map((f) => ({ path: f.path, label: classNames.indexOf(f.top!) }));
  return { candidates, classNames };
}

/** Formats decoded, by content (sharp's sniffed `format`). */
export const DECODED_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

interface DecodeOptions { height: number; width: number; channels: 1 | 3; fit: 'cover' | 'fill'; maxPixels: number }

/** Decodes and resizes one file to HxWxC bytes, or returns why it cannot be used. */
export async function decodeImage(path: string, o: DecodeOptions): Promise<Uint8Array | string> {
  try {
    const meta = await sharp(path, { limitInputPixels: false }).metadata();
    // sharp sniffs the format from the bytes: the extension chose the candidate, the content decides. SVG (XML
    // that can reference other files), PDF and the like are refused whatever the file is called.
    if (!meta.format || !DECODED_FORMATS.has(meta.format)) return `not a supported image: content is ${meta.format ?? 'unknown'} (expected ${[...DECODED_FORMATS].join(', ')})`;
    if (!meta.width || !meta.height) return `not a decodable image (format ${meta.format ?? 'unknown'})`;
    if (meta.width * meta.height > o.maxPixels) {
      return `too large: ${meta.width}x${meta.height} pixels exceeds the ${o.maxPixels}-pixel limit`;
    }
    let img = sharp(path, { limitInputPixels: o.maxPixels, pages: 1 })
      .rotate() // honour EXIF orientation
      .resize(o.width, o.height, { fit: o.fit, position: 'centre' })
      .removeAlpha();
    img = o.channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
    const { data, info } = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== o.channels || info.width !== o.width || info.height !== o.height) {
      return `decoded to unexpected shape ${info.width}x${info.height}x${info.channels}`;
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!.trim();
    if (/unsupported image format/i.test(msg)) return 'not an image (unrecognised content)';
    return `corrupt or truncated image (${msg})`;
  }
}

/** Runs `fn` over items with at most `limit` calls in flight; results keep the input order. */
export async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let at = 0;
  const worker = async () => {
    while (at < items.length) {
      const i = at++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
