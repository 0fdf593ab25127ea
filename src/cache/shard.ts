/**
 * Shard file format (little-endian):
 *   'TTMCACHE' (8 bytes) | u32 header length | header JSON (utf-8) | pooled values | token values | SHA-256 (32 bytes)
 * The header holds format version, teacher id, dims, dtype, count and per-entry keys; the trailing SHA-256 covers
 * every byte before it and is verified on read, so a bit flip or a truncated file is detected, never used.
 */
import { createHash } from 'node:crypto';
import { CACHE_FORMAT_VERSION } from './key.js';
import { decodeFloat16, encodeFloat16 } from './fp16.js';

const MAGIC = 'TTMCACHE';
const HASH_BYTES = 32;

export interface ShardHeader {
  version: number;
  teacherId: string;
  dim: number;
  tokenCount: number;
  dtype: 'float32' | 'float16';
  count: number;
  keys: string[];
}

export interface ShardData {
  header: ShardHeader;
  /** count x dim. */
  pooled: Float32Array;
  /** count x tokenCount x dim, or undefined when tokenCount is 0. */
  tokens?: Float32Array;
}

/** Why a shard could not be used. */
export class CorruptShardError extends Error {}

function valueBytes(values: Float32Array, dtype: ShardHeader['dtype']): Uint8Array {
  const typed = dtype === 'float16' ? encodeFloat16(values) : values;
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

export function encodeShard(shard: ShardData): Uint8Array {
  const { header } = shard;
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length);
  const parts: Uint8Array[] = [prefix, headerBytes, valueBytes(shard.pooled, header.dtype)];
  if (header.tokenCount > 0) parts.push(valueBytes(shard.tokens!, header.dtype));
  const body = Buffer.concat(parts);
  const digest = createHash('sha256').update(body).digest();
  return Buffer.concat([body, digest]);
}

/** Decodes a shard, throwing CorruptShardError on any mismatch (checksum, magic, sizes, version). */
export function decodeShard(bytes: Uint8Array): ShardData {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 4 + HASH_BYTES) throw new CorruptShardError(`truncated (${buf.length} bytes)`);
  const body = buf.subarray(0, buf.length - HASH_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(buf.subarray(buf.length - HASH_BYTES))) throw new CorruptShardError('checksum mismatch (corrupt or truncated)');
  if (body.toString('ascii', 0, MAGIC.length) !== MAGIC) throw new CorruptShardError('not a tintem cache shard');
  const headerLength = body.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + headerLength;
  let header: ShardHeader;
  try {
    header = JSON.parse(body.toString('utf8', MAGIC.length + 4, headerEnd)) as ShardHeader;
  } catch {
    throw new CorruptShardError('unreadable header');
  }
  if (header.version !== CACHE_FORMAT_VERSION) throw new CorruptShardError(`format version ${header.version}, expected ${CACHE_FORMAT_VERSION}`);
  const per = header.dtype === 'float16' ? 2 : 4;
  const pooledCount = header.count * header.dim;
  const tokenValues = header.count * header.tokenCount * header.dim;
  if (body.length !== headerEnd + (pooledCount + tokenValues) * per || header.keys.length !== header.count) {
    throw new CorruptShardError('sizes do not match the header');
  }
  // Copy into aligned buffers (the payload offset need not be a multiple of 4).
  const read = (start: number, count: number): Float32Array => {
    const raw = new Uint8Array(count * per);
    raw.set(body.subarray(start, start + count * per));
    return per === 2 ? decodeFloat16(new Uint16Array(raw.buffer)) : new Float32Array(raw.buffer);
  };
  const pooled = read(headerEnd, pooledCount);
  const tokens = header.tokenCount > 0 ? read(headerEnd + pooledCount * per, tokenValues) : undefined;
  return { header, pooled, tokens };
}
