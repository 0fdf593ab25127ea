/**
 * embedWithCache: teacher embeddings for every image of a set, computed once and stored in content-addressed,
 * checksummed shards. Images are processed in fixed chunks (one shard each); a chunk whose shard exists and
 * verifies is a hit, anything else is computed and written atomically, so an interrupted run keeps every
 * completed shard and a corrupt one is reported and recomputed, never used. A deferred (lazy) teacher is only
 * loaded when some chunk misses.
 */
import { assertFiniteRows } from './finite.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { initBackend, tf } from '../backend/index.js';
import { augmentImages, isIdentityView, type ViewSpec } from '../data/index.js';
import type { ImageSet } from '../data/types.js';
import { forwardTeacher, isDeferredTeacher } from '../teachers/asyncTeacher.js';
import type { Teacher } from '../teachers/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { info, warn } from '../util/log.js';
import { decodeFloat16, encodeFloat16 } from './fp16.js';
import { CACHE_FORMAT_VERSION, entryKeys, shardName, type StorageLayout } from './key.js';
import { CorruptShardError, decodeShard, encodeShard, type ShardData } from './shard.js';

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
}

export const DEFAULT_SHARD_SIZE = 512;

/** Folder of one teacher's shards: readable prefix of its id + a hash of the whole id. */
export function teacherCacheDir(cacheDir: string, teacher: Teacher): string {
  const readable = teacher.id.split('|')[0]!.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 48);
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
    const shard = decodeShard(await readFile(path));
    const h = shard.header;
    if (h.teacherId !== teacherId || h.keys.length !== keys.length || h.keys.some((k, i) => k !== keys[i])) {
      throw new CorruptShardError('its entries do not match the requested images');
    }
    if (h.tokenCount < tokenCount) throw new CorruptShardError(`it holds ${h.tokenCount} tokens per image, expected ${tokenCount}`);
    return shard;
  } catch (e) {
    if (!(e instanceof CorruptShardError)) throw e;
    warn(`cache shard ${path} is unusable (${e.message}); recomputing it`);
    return undefined;
  }
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
  const out = new Outputs(set.count, tokenCount);
  const per = set.height * set.width * set.channels;
  let hits = 0;
  let misses = 0;

  const bar = (opts.progress ?? Boolean(process.stderr.isTTY)) ? new cliProgress.SingleBar({
    stream: process.stderr, hideCursor: true, etaBuffer: 50,
    format: `embed ${teacher.id.split('|')[0]} {bar} {percentage}% | {value}/{total} | {rate} img/s | ETA {eta_formatted}`,
  }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(set.count, 0, { rate: '-' });
  let computeSeconds = 0;
  const advance = (n: number): void => {
    bar?.increment(n, { rate: computeSeconds > 0 ? (misses / computeSeconds).toFixed(1) : '-' });
  };

  try {
    for (let start = 0; start < set.count; start += shardSize) {
      const end = Math.min(set.count, start + shardSize);
      const keys = entryKeys(set, start, end, teacher, view);
      const path = join(dir, `${shardName(keys, layout)}.ttc`);
      // A shard stored with tokens also serves a pooled-only request (its pooled values are the same).
      const withTokens = tokenCount === 0 && teacher.tokenGrid ? join(dir, `${shardName(keys, { ...layout, tokens: true })}.ttc`) : undefined;
      const cached = (await readShard(path, keys, teacher.id, tokenCount))
        ?? (withTokens && existsSync(withTokens) ? await readShard(withTokens, keys, teacher.id, 0) : undefined);
      if (cached) {
        out.ensure(cached.header.dim, path);
        out.pooled!.set(cached.pooled, start * out.dim);
        if (out.tokens) out.tokens.set(cached.tokens!, start * tokenCount * out.dim);
        hits += end - start;
        advance(end - start);
        continue;
      }
      // The backend starts on the first miss (an all-hit run never loads TensorFlow's native library), and a
      // deferred teacher loads outside the timed loop, so the rate shown is the forward rate.
      await initBackend();
      if (isDeferredTeacher(teacher) && !teacher.loaded) await teacher.load();
      for (let b = start; b < end; b += batchSize) {
        if (opts.signal?.aborted) throw abortError(opts.signal);
        const t0 = performance.now();
        const stop = Math.min(end, b + batchSize);
        const indices = Array.from({ length: stop - b }, (_, i) => b + i);
        const pixels = view ? augmentImages(set, indices, view) : set.pixels.subarray(b * per, stop * per);
        const x = tf.tensor4d(pixels, [stop - b, set.height, set.width, set.channels]);
        const y = await forwardTeacher(teacher, x).finally(() => x.dispose());
        try {
          out.ensure(y.pooled.shape[1], teacher.id);
          const pooled = await y.pooled.data() as Float32Array;
          assertFiniteRows(pooled, out.dim, b, set.sources, set.name, teacher.id, 'embeddings');
          out.pooled!.set(pooled, b * out.dim);
          if (out.tokens) {
            if (y.tokens?.shape[1] !== tokenCount) throw new Error(`teacher ${teacher.id} returned ${y.tokens?.shape[1] ?? 'no'} tokens, expected ${tokenCount}`);
            const tokens = await y.tokens.data() as Float32Array;
            assertFiniteRows(tokens, tokenCount * out.dim, b, set.sources, set.name, teacher.id, 'token features');
            out.tokens.set(tokens, b * tokenCount * out.dim);
          }
        } finally {
          tf.dispose(y as unknown as tf.TensorContainer);
        }
        misses += stop - b;
        computeSeconds += (performance.now() - t0) / 1000;
        advance(stop - b);
      }
      const shardPooled = out.pooled!.subarray(start * out.dim, end * out.dim);
      const shardTokens = out.tokens?.subarray(start * tokenCount * out.dim, end * tokenCount * out.dim);
      if (opts.fp16) {
        roundToFloat16(shardPooled);
        if (shardTokens) roundToFloat16(shardTokens);
        // A value beyond float16's range becomes Infinity: refuse it rather than cache it.
        assertFiniteRows(shardPooled, out.dim, start, set.sources, set.name, teacher.id, 'embeddings after float16 rounding (use float32: drop --fp16)');
        if (shardTokens) assertFiniteRows(shardTokens, tokenCount * out.dim, start, set.sources, set.name, teacher.id, 'token features after float16 rounding (use float32: drop --fp16)');
      }
      const bytes = encodeShard({
        header: { version: CACHE_FORMAT_VERSION, teacherId: teacher.id, dim: out.dim, tokenCount, dtype: layout.dtype, count: end - start, keys },
        pooled: shardPooled, tokens: shardTokens,
      });
      try {
        await writeFileAtomic(path, bytes);
      } catch (e) {
        // A full disk or an unwritable cache is the user's to fix: one line naming the shard (fs messages often name no file).
        const reason = (((e as Error).cause as Error | undefined) ?? (e as Error)).message.split('\n')[0];
        throw new UserError(`${path}: could not write cache shard (${reason}); completed shards are kept: free some space or choose another --cache-dir, then run again`);
      }
    }
  } finally {
    bar?.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  if (!opts.quiet) {
    info(`embed: ${set.count} images with ${teacher.id}: ${hits} cached, ${misses} computed in ${seconds.toFixed(1)} s (cache ${dir})`);
  }
  out.ensure(out.pooled ? out.dim : set.count === 0 ? teacher.embedDim : 0, teacher.id);
  return { pooled: out.pooled!, dim: out.dim, tokens: out.tokens, tokenCount, hits, misses, seconds };
}
