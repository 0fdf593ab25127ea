/** Teacher-embedding cache: content-addressed, checksummed, resumable shards. */
export { embedWithCache, teacherCacheDir, DEFAULT_SHARD_SIZE, type CachedEmbeddings, type EmbedOptions } from './embed.js';
export { entryKey, entryKeys, shardName, teacherKeyParts, CACHE_FORMAT_VERSION, type KeyParts, type StorageLayout } from './key.js';
export { encodeShard, decodeShard, CorruptShardError, type ShardData, type ShardHeader } from './shard.js';
export { encodeFloat16, decodeFloat16, float32ToFloat16Bits, float16BitsToFloat32 } from './fp16.js';
