/** Teacher-embedding cache: content-addressed, checksummed, resumable shards. */
export { embedWithCache, teacherCacheDir, DEFAULT_SHARD_SIZE, type CachedEmbeddings, type EmbedOptions } from './embed.js';
export { entryKey, entryKeys, entryKeysOf, shardName, teacherKeyParts, CACHE_FORMAT_VERSION, type KeyParts, type StorageLayout } from './key.js';
export { encodeShard, decodeShard, CorruptShardError, type ShardData, type ShardHeader } from './shard.js';
export { encodeFloat16, decodeFloat16, float32ToFloat16Bits, float16BitsToFloat32 } from './fp16.js';
export { parseShard, shardOfChecksum, shardIndices, formatShard, SHARD_ENV, type ShardSpec } from './shard-plan.js';
export { EntryIndex, listShardFiles, readShardHeader, SHARD_EXT } from './entry-index.js';
export { readManifests, MANIFEST_DIR, type Manifest, type ManifestPlan } from './manifest.js';
