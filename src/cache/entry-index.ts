/**
 * Entries by key across a teacher's shard files. Shards written by different runs (one process, or shard i/n of a
 * job array, or another n) group entries differently, so a reader whose own chunk file is absent looks its keys up
 * here: the index reads only the shard headers, then decodes (and so checksum-verifies) just the files it serves
 * entries from. A file that fails to decode is reported once and its entries count as missing.
 */
import { existsSync } from 'node:fs';
import { readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { warn } from '../util/log.js';
import { FileReadError, GiB, MiB, openRegular, readExactly } from '../util/safe-read.js';
import { CACHE_FORMAT_VERSION } from './key.js';
import { CorruptShardError, decodeShard, type ShardData, type ShardHeader } from './shard.js';

export const SHARD_EXT = '.ttc';
const MAGIC = 'TTMCACHE';

/** Shard files (names ending .ttc, not temp files) of one teacher folder, sorted. */
export async function listShardFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const names = await readdir(dir);
  return names.filter((n) => n.endsWith(SHARD_EXT) && !n.startsWith('.')).sort();
}

/** The largest shard file read (a 512-image shard of 1024-d float32 with a 16x16 token map is 0.5 GB). */
export const MAX_SHARD_BYTES = 2 * GiB;
/** The largest header (the keys are 64 hex characters an entry). */
const MAX_HEADER_BYTES = 64 * MiB;
const PREFIX_BYTES = MAGIC.length + 4;
const HASH_BYTES = 32;

/** Opens a shard (regular files only, non-blocking, capped) and reads its header; FileReadErrors become CorruptShardErrors but ENOENT. */
async function openShard(path: string): Promise<{ fh: FileHandle; size: number; header: ShardHeader; headerEnd: number }> {
  let opened: { fh: FileHandle; size: number };
  try {
    opened = await openRegular(path, { what: 'cache shard', maxBytes: MAX_SHARD_BYTES });
  } catch (e) {
    if (e instanceof FileReadError && e.code !== 'ENOENT') throw new CorruptShardError(e.reason);
    throw e;
  }
  const { fh, size } = opened;
  try {
    const prefix = await readExactly(fh, 0, PREFIX_BYTES);
    if (prefix.length < PREFIX_BYTES || prefix.toString('ascii', 0, MAGIC.length) !== MAGIC) throw new CorruptShardError('not a tintem cache shard');
    const length = prefix.readUInt32LE(MAGIC.length);
    if (length > MAX_HEADER_BYTES || PREFIX_BYTES + length + HASH_BYTES > size) throw new CorruptShardError(length > MAX_HEADER_BYTES ? 'unreadable header' : 'truncated header');
    const headerBytes = await readExactly(fh, PREFIX_BYTES, length);
    if (headerBytes.length < length) throw new CorruptShardError('truncated header');
    let header: ShardHeader;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as ShardHeader;
    } catch {
      throw new CorruptShardError('unreadable header');
    }
    if (header === null || typeof header !== 'object') throw new CorruptShardError('unreadable header');
    return { fh, size, header, headerEnd: PREFIX_BYTES + length };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** Reads only the header of a shard file (no checksum: that needs the whole file; decodeShard does it). */
export async function readShardHeader(path: string): Promise<ShardHeader> {
  const { fh, header } = await openShard(path);
  await fh.close();
  return header;
}

/**
 * The bytes of a shard file for decodeShard: a regular file, never more than its header says it holds (a file
 * that is larger, e.g. a link to a huge file, is refused before its body is read).
 */
export async function readShardFile(path: string): Promise<Buffer> {
  const { fh, size, header, headerEnd } = await openShard(path);
  try {
    const { count, dim, tokenCount, dtype } = header;
    const valid = [count, dim, tokenCount].every((n) => Number.isSafeInteger(n) && n >= 0);
    const expected = valid ? headerEnd + count * dim * (1 + tokenCount) * (dtype === 'float16' ? 2 : 4) + HASH_BYTES : Number.NaN;
    if (!valid || size > expected) throw new CorruptShardError(valid ? `${size} bytes, more than the ${expected} its header describes` : 'unreadable header');
    return await readExactly(fh, 0, size);
  } finally {
    await fh.close();
  }
}

/** readShardFile + decodeShard. */
export async function loadShard(path: string): Promise<ShardData> {
  return decodeShard(await readShardFile(path));
}

interface Location { file: string; row: number }

export interface IndexFilter {
  teacherId: string;
  dtype: ShardHeader['dtype'];
  /** Token rows each entry needs (a file with tokens also serves a pooled-only request). */
  tokenCount: number;
}

/** One row's values. */
export interface EntryValues { pooled: Float32Array; tokens?: Float32Array }

export class EntryIndex {
  private readonly byKey = new Map<string, Location>();
  private readonly decoded = new Map<string, ShardData>();
  private readonly bad = new Set<string>();
  readonly files: string[] = [];

  private constructor(readonly dir: string, private readonly filter: IndexFilter) {}

  /** Indexes every usable shard header in `dir`, only keys in `wanted` when given (unreadable headers are skipped). */
  static async scan(dir: string, filter: IndexFilter, wanted?: ReadonlySet<string>): Promise<EntryIndex> {
    const index = new EntryIndex(dir, filter);
    for (const file of await listShardFiles(dir)) {
      let h: ShardHeader;
      try {
        h = await readShardHeader(join(dir, file));
      } catch (e) {
        // Quietly: a reader that wants this file by name reports it then, and `cache verify` names it.
        if (e instanceof CorruptShardError || (e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      if (h.version !== CACHE_FORMAT_VERSION || h.teacherId !== filter.teacherId || h.dtype !== filter.dtype) continue;
      if (h.tokenCount < filter.tokenCount || !Array.isArray(h.keys)) continue;
      index.files.push(file);
      h.keys.forEach((key, row) => { if ((!wanted || wanted.has(key)) && !index.byKey.has(key)) index.byKey.set(key, { file, row }); });
    }
    return index;
  }

  get size(): number { return this.byKey.size; }

  /** Stops serving entries from these files (known to be damaged; already reported). */
  exclude(files: Iterable<string>): void {
    for (const file of files) this.bad.add(file);
  }

  has(key: string): boolean { return this.byKey.has(key); }

  /** File holding `key`, if indexed. */
  fileOf(key: string): string | undefined { return this.byKey.get(key)?.file; }

  private async load(file: string): Promise<ShardData | undefined> {
    if (this.bad.has(file)) return undefined;
    const known = this.decoded.get(file);
    if (known) return known;
    const path = join(this.dir, file);
    let shard: ShardData;
    try {
      shard = await loadShard(path);
    } catch (e) {
      if (!(e instanceof CorruptShardError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      warn(`cache shard ${path} is unusable (${(e as Error).message}); its entries will be recomputed`);
      this.bad.add(file);
      return undefined;
    }
    // Keep a few decoded files: consecutive chunks of a reader mostly draw on the same writers' files.
    if (this.decoded.size >= 8) this.decoded.delete(this.decoded.keys().next().value!);
    this.decoded.set(file, shard);
    return shard;
  }

  /** Values of `key`, or undefined when it is not indexed or its file turned out damaged. */
  async read(key: string): Promise<EntryValues | undefined> {
    const loc = this.byKey.get(key);
    if (!loc) return undefined;
    const shard = await this.load(loc.file);
    if (!shard || shard.header.keys[loc.row] !== key) {
      this.byKey.delete(key);
      return undefined;
    }
    const { dim, tokenCount } = shard.header;
    const pooled = shard.pooled.subarray(loc.row * dim, (loc.row + 1) * dim);
    const want = this.filter.tokenCount;
    // A shard's token block is count x tokenCount x dim; a pooled-only request ignores it.
    const tokens = want > 0 ? shard.tokens!.subarray(loc.row * tokenCount * dim, (loc.row + 1) * tokenCount * dim) : undefined;
    return { pooled, tokens };
  }
}
