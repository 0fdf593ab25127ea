/**
 * embedWithCache: teacher embeddings for every image of a set, computed once and stored in content-addressed,
 * checksummed shards. Images are processed in fixed chunks (one shard each); a chunk whose shard exists and
 * verifies is a hit, anything else is computed and written atomically, so an interrupted run keeps every
 * completed shard and a corrupt one is reported and recomputed, never used. A deferred (lazy) teacher is only
 * loaded when some chunk misses. A chunk whose own file is absent takes the entries other runs stored under other
 * chunkings (a job array's shards, see shard-plan.ts) by key, and computes only the rest. Files are immutable and
 * named by their content, so many processes may fill one folder on a shared filesystem at once.
 */
import { assertFiniteRows } from './finite.js';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import cliProgress from 'cli-progress';
import { initBackend, tf } from '../backend/index.js';
import { augmentImages, imageChecksum, isIdentityView, type ViewSpec } from '../data/index.js';
import type { ImageSet } from '../data/types.js';
import { forwardTeacher, isDeferredTeacher } from '../teachers/asyncTeacher.js';
import type { Teacher } from '../teachers/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { info, warn } from '../util/log.js';
import { decodeFloat16, encodeFloat16 } from './fp16.js';
import { EntryIndex, loadShard, MAX_SHARD_BYTES } from './entry-index.js';
import { CACHE_FORMAT_VERSION, entryKeysOf, shardName, teacherKeyParts, type StorageLayout } from './key.js';
import { buildManifest, datasetHash, manifestPath, writeManifest, type ManifestPlan } from './manifest.js';
import { CorruptShardError, encodeShard, type ShardData } from './shard.js';
import { formatShard, shardIndices, type ShardSpec } from './shard-plan.js';
import { teacherModel } from '../teachers/identity.js';

export interface EmbedOptions {
  cacheDir: string;
  /** Augmentation view; identity when absent. */
  view?: ViewSpec;
  /** Images per teacher forward (default 64). */
  batchSize?: number;
  /** Store as float16 (half the size); returned values are then float16-rounded on every run alike. */
  fp16?: boolean;
  /** Also cache the token map (default: when the teacher has one). */
  tokens?: boolean;
  /** Progress bar on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  /** Stops between batches; completed shards stay on disk. */
  signal?: AbortSignal;
  /** Images per shard (default 512). Part of the chunking, so keep it fixed for a cache directory. */
  shardSize?: number;
  /** No summary line (library callers that print their own). */
  quiet?: boolean;
  /**
   * Embed only the images shard i/n owns (split by image content, see shard-plan.ts); the result's rows are those
   * images in dataset order and `indices` names them. Shards of one job array may run anywhere, in any order.
   */
  shard?: ShardSpec;
  /** Never run the teacher: an entry that is missing (or damaged) is a UserError (`distill --cache-only`). */
  noCompute?: boolean;
}

export interface CachedEmbeddings {
  /** count x dim, row i = image i. */
  pooled: Float32Array;
  dim: number;
  /** count x tokenCount x dim when tokens were requested and the teacher has them. */
  tokens?: Float32Array;
  tokenCount: number;
  /** Images served from the cache / computed by the teacher in this call. */
  hits: number;
  misses: number;
  seconds: number;
  /** With `shard`: the dataset position of each row. */
  indices?: Int32Array;
}

export const DEFAULT_SHARD_SIZE = 512;

/** Folder of one teacher's shards: readable prefix of its id + a hash of the whole id. */
export function teacherCacheDir(cacheDir: string, teacher: Teacher): string {
  const readable = teacherModel(teacher.id).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 48);
  return join(cacheDir, 'embeddings', `${readable}-${sha256(teacher.id).slice(0, 12)}`);
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('embedding aborted', 'AbortError');
}

/** Rounds values through float16 in place, so freshly computed and cached values are identical. */
function roundToFloat16(values: Float32Array): void {
  decodeFloat16(encodeFloat16(values), values);
}

/** Reads a shard if it exists and matches; reports and returns undefined when it is corrupt or stale. */
async function readShard(path: string, keys: string[], teacherId: string, tokenCount: number): Promise<ShardData | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    const shard = await loadShard(path);
    const h = shard.header;
    if (h.teacherId !== teacherId || h.keys.length !== keys.length || h.keys.some((k, i) => k !== keys[i])) {
      throw new CorruptShardError('its entries do not match the requested images');
    }
    if (h.tokenCount < tokenCount) throw new CorruptShardError(`it holds ${h.tokenCount} tokens per image, expected ${tokenCount}`);
    return shard;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // removed since the check above
    if (!(e instanceof CorruptShardError)) throw e;
    warn(`cache shard ${path} is unusable (${e.message}); recomputing it`);
    return undefined;
  }
}

/** Writes row r of `values` (rowSize values a row) to row rows[r] of `target`. */
function scatterRows(target: Float32Array, values: Float32Array, rowSize: number, rows: number[]): void {
  rows.forEach((row, r) => target.set(values.subarray(r * rowSize, (r + 1) * rowSize), row * rowSize));
}

/** Rows `rows` of a row-major matrix, copied. */
function gatherRowsOf(values: Float32Array, rowSize: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * rowSize);
  rows.forEach((row, r) => out.set(values.subarray(row * rowSize, (row + 1) * rowSize), r * rowSize));
  return out;
}

/** Output buffers, allocated once the width is known (from a shard header or the first forward). */
class Outputs {
  pooled?: Float32Array;
  tokens?: Float32Array;
  dim = 0;
  constructor(private readonly count: number, readonly tokenCount: number) {}

  ensure(dim: number, source: string): void {
    if (this.pooled) {
      if (dim !== this.dim) throw new Error(`${source}: width ${dim} differs from ${this.dim} of earlier images`);
      return;
    }
    this.dim = dim;
    this.pooled = new Float32Array(this.count * dim);
    if (this.tokenCount > 0) this.tokens = new Float32Array(this.count * this.tokenCount * dim);
  }
}

export async function embedWithCache(teacher: Teacher, set: ImageSet, opts: EmbedOptions): Promise<CachedEmbeddings> {
  const started = performance.now();
  const batchSize = opts.batchSize ?? 64;
  const shardSize = opts.shardSize ?? DEFAULT_SHARD_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`--batch-size: expected a positive integer, got ${opts.batchSize}`);
  if (!Number.isInteger(shardSize) || shardSize < 1) throw new UserError(`shardSize: expected a positive integer, got ${opts.shardSize}`);
  const view = opts.view && !isIdentityView(opts.view) ? opts.view : undefined;
  const tokenCount = (opts.tokens ?? true) && teacher.tokenGrid ? teacher.tokenGrid ** 2 : 0;
  const layout: StorageLayout = { dtype: opts.fp16 ? 'float16' : 'float32', tokens: tokenCount > 0 };
  const dir = teacherCacheDir(opts.cacheDir, teacher);
  const checksums = Array.from({ length: set.count }, (_, i) => imageChecksum(set, i));
  // Dataset positions of the rows: all images, or those shard i/n owns.
  const positions = opts.shard ? shardIndices(checksums, opts.shard) : undefined;
  const count = positions?.length ?? set.count;
  const imageAt = (row: number): number => (positions ? positions[row]! : row);
  const rowImages = Array.from({ length: count }, (_, row) => imageAt(row));
  const allKeys = entryKeysOf(rowImages.map((i) => checksums[i]!), rowImages, teacher, view);
  const out = new Outputs(count, tokenCount);
  const per = set.height * set.width * set.channels;
  let hits = 0;
  let misses = 0;
  /** Entries by key across all shard files here, built when a chunk's own file is absent. */
  let index: EntryIndex | undefined;
  /** Shard files (names) holding this pass's entries, for the manifest. */
  const files = new Set<string>();
  /** Own chunk files found unusable (reported once, then recomputed). */
  const unusable = new Set<string>();

  const bar = (opts.progress ?? Boolean(process.stderr.isTTY)) ? new cliProgress.SingleBar({
    stream: process.stderr, hideCursor: true, etaBuffer: 50,
    format: `embed ${teacherModel(teacher.id)} {bar} {percentage}% | {value}/{total} | {rate} img/s | ETA {eta_formatted}`,
  }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(count, 0, { rate: '-' });
  let computeSeconds = 0;
  const advance = (n: number): void => {
    bar?.increment(n, { rate: computeSeconds > 0 ? (misses / computeSeconds).toFixed(1) : '-' });
  };

  try {
    for (let start = 0; start < count; start += shardSize) {
      const end = Math.min(count, start + shardSize);
      const keys = allKeys.slice(start, end);
      const path = join(dir, `${shardName(keys, layout)}.ttc`);
      // A shard stored with tokens also serves a pooled-only request (its pooled values are the same).
      const withTokens = tokenCount === 0 && teacher.tokenGrid ? join(dir, `${shardName(keys, { ...layout, tokens: true })}.ttc`) : undefined;
      let cached = await readShard(path, keys, teacher.id, tokenCount);
      let cachedPath = path;
      if (!cached && existsSync(path)) unusable.add(basename(path));
      if (!cached && withTokens && existsSync(withTokens)) {
        cached = await readShard(withTokens, keys, teacher.id, 0);
        cachedPath = withTokens;
        if (!cached) unusable.add(basename(withTokens));
      }
      if (cached) {
        out.ensure(cached.header.dim, path);
        out.pooled!.set(cached.pooled, start * out.dim);
        if (out.tokens) out.tokens.set(cached.tokens!, start * tokenCount * out.dim);
        hits += end - start;
        files.add(basename(cachedPath));
        advance(end - start);
        continue;
      }
      // Entries that runs with another chunking stored (the shards of a job array, another --limit) serve by key.
      // Only this pass's keys are indexed, so memory follows the pass, not the whole folder (other views, sets).
      index ??= await EntryIndex.scan(dir, { teacherId: teacher.id, dtype: layout.dtype, tokenCount }, new Set(allKeys));
      index.exclude(unusable); // already reported above
      const todo: number[] = [];
      for (let row = start; row < end; row++) {
        const key = keys[row - start]!;
        const found = await index.read(key);
        if (!found) { todo.push(row); continue; }
        out.ensure(found.pooled.length, join(dir, index.fileOf(key)!));
        out.pooled!.set(found.pooled, row * out.dim);
        if (out.tokens) out.tokens.set(found.tokens!, row * tokenCount * out.dim);
        files.add(index.fileOf(key)!);
      }
      hits += end - start - todo.length;
      advance(end - start - todo.length);
      if (todo.length === 0) continue;
      if (opts.noCompute) {
        throw new UserError(`${dir}: ${todo.length} cache entries for ${teacherModel(teacher.id)} (${teacherKeyParts(teacher, view).view} view) are missing or damaged and computing them is off (--cache-only); run \`tintem cache verify\` to see which`);
      }
      // The backend starts on the first miss (an all-hit run never loads TensorFlow's native library), and a
      // deferred teacher loads outside the timed loop, so the rate shown is the forward rate.
      await initBackend();
      if (isDeferredTeacher(teacher) && !teacher.loaded) await teacher.load();
      for (let b = 0; b < todo.length; b += batchSize) {
        if (opts.signal?.aborted) throw abortError(opts.signal);
        const t0 = performance.now();
        const rows = todo.slice(b, b + batchSize);
        const indices = rows.map(imageAt);
        const contiguous = indices[indices.length - 1]! - indices[0]! === indices.length - 1;
        const pixels = view ? augmentImages(set, indices, view)
          : contiguous ? set.pixels.subarray(indices[0]! * per, (indices[0]! + indices.length) * per) : augmentImages(set, indices, { id: 0, seed: 0 });
        const x = tf.tensor4d(pixels, [rows.length, set.height, set.width, set.channels]);
        const y = await forwardTeacher(teacher, x).finally(() => x.dispose());
        try {
          out.ensure(y.pooled.shape[1], teacher.id);
          const pooled = await y.pooled.data() as Float32Array;
          // Rows are scattered images: name them by dataset position (firstIndex 0 over this list).
          const names = indices.map((i) => set.sources?.[i] ?? `${set.name}#${i}`);
          assertFiniteRows(pooled, out.dim, 0, names, set.name, teacher.id, 'embeddings');
          scatterRows(out.pooled!, pooled, out.dim, rows);
          if (out.tokens) {
            if (y.tokens?.shape[1] !== tokenCount) throw new Error(`teacher ${teacher.id} returned ${y.tokens?.shape[1] ?? 'no'} tokens, expected ${tokenCount}`);
            const tokens = await y.tokens.data() as Float32Array;
            assertFiniteRows(tokens, tokenCount * out.dim, 0, names, set.name, teacher.id, 'token features');
            scatterRows(out.tokens, tokens, tokenCount * out.dim, rows);
          }
        } finally {
          tf.dispose(y as unknown as tf.TensorContainer);
        }
        misses += rows.length;
        computeSeconds += (performance.now() - t0) / 1000;
        advance(rows.length);
      }
      // The shard file holds the rows computed here: the whole chunk (the usual case) or only those no other file had.
      const whole = todo.length === end - start;
      const shardPooled = whole ? out.pooled!.subarray(start * out.dim, end * out.dim) : gatherRowsOf(out.pooled!, out.dim, todo);
      const shardTokens = !out.tokens ? undefined
        : whole ? out.tokens.subarray(start * tokenCount * out.dim, end * tokenCount * out.dim) : gatherRowsOf(out.tokens, tokenCount * out.dim, todo);
      if (opts.fp16) {
        roundToFloat16(shardPooled);
        if (shardTokens) roundToFloat16(shardTokens);
        // A value beyond float16's range becomes Infinity: refuse it rather than cache it.
        const names = (whole ? Array.from({ length: end - start }, (_, r) => start + r) : todo).map(imageAt).map((i) => set.sources?.[i] ?? `${set.name}#${i}`);
        assertFiniteRows(shardPooled, out.dim, 0, names, set.name, teacher.id, 'embeddings after float16 rounding (use float32: drop --fp16)');
        if (shardTokens) assertFiniteRows(shardTokens, tokenCount * out.dim, 0, names, set.name, teacher.id, 'token features after float16 rounding (use float32: drop --fp16)');
        // Copies must round in the returned buffers too, so this call returns what a later one reads.
        if (!whole) { scatterRows(out.pooled!, shardPooled, out.dim, todo); if (shardTokens) scatterRows(out.tokens!, shardTokens, tokenCount * out.dim, todo); }
      }
      const shardKeys = whole ? keys : todo.map((row) => keys[row - start]!);
      // Readers refuse a shard file over MAX_SHARD_BYTES: never write one they would not read.
      const valueBytes = shardKeys.length * out.dim * (1 + tokenCount) * (opts.fp16 ? 2 : 4);
      if (valueBytes > MAX_SHARD_BYTES - 64 * 1024 * 1024) {
        const fit = Math.max(1, Math.floor((MAX_SHARD_BYTES - 64 * 1024 * 1024) / (valueBytes / shardKeys.length)));
        throw new UserError(`--images-per-file ${shardSize}: a shard of ${shardKeys.length} entries of ${out.dim} x ${1 + tokenCount} values is ${(valueBytes / 2 ** 30).toFixed(1)} GiB, more than the ${MAX_SHARD_BYTES / 2 ** 30} GiB limit of a shard file; use --images-per-file ${fit} or less`);
      }
      const shardPath = whole ? path : join(dir, `${shardName(shardKeys, layout)}.ttc`);
      const bytes = encodeShard({
        header: { version: CACHE_FORMAT_VERSION, teacherId: teacher.id, dim: out.dim, tokenCount, dtype: layout.dtype, count: shardKeys.length, keys: shardKeys },
        pooled: shardPooled, tokens: shardTokens,
      });
      try {
        await writeFileAtomic(shardPath, bytes);
      } catch (e) {
        // A full disk or an unwritable cache is the user's to fix: one line naming the shard (fs messages often name no file).
        const reason = (((e as Error).cause as Error | undefined) ?? (e as Error)).message.split('\n')[0];
        throw new UserError(`${shardPath}: could not write cache shard (${reason}); completed shards are kept: free some space or choose another --cache-dir, then run again`);
      }
      files.add(basename(shardPath));
    }
  } finally {
    bar?.stop();
  }
  // Last, so a manifest means the pass finished; an all-hit pass on a read-only cache skips it quietly.
  const plan: ManifestPlan = {
    teacherId: teacher.id, view: teacherKeyParts(teacher, view).view, layout, datasetCount: set.count, datasetHash: datasetHash(checksums),
    imagesPerFile: shardSize, shardCount: opts.shard?.count ?? 1,
  };
  await writeManifest(manifestPath(dir, plan, opts.shard ?? { index: 0, count: 1 }), buildManifest(plan, opts.shard?.index ?? 0, count, files), misses === 0);
  const seconds = (performance.now() - started) / 1000;
  if (!opts.quiet) {
    const which = opts.shard ? `shard ${formatShard(opts.shard)}: ${count} of ${set.count}` : `${set.count}`;
    info(`embed: ${which} images with ${teacher.id}: ${hits} cached, ${misses} computed in ${seconds.toFixed(1)} s (cache ${dir})`);
  }
  out.ensure(out.pooled ? out.dim : count === 0 ? teacher.embedDim : 0, teacher.id);
  return {
    pooled: out.pooled!, dim: out.dim, tokens: out.tokens, tokenCount, hits, misses, seconds,
    ...(positions ? { indices: Int32Array.from(positions) } : {}),
  };
}
