/**
 * Reads a TF.js model.json and its weight files from disk into ModelArtifacts (works on every backend, unlike
 * tfjs-node's file:// handler), plus a content hash of topology and weights that names the model in cache keys.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import type { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';

export interface LoadedArtifacts {
  artifacts: tf.io.ModelArtifacts;
  format: 'layers' | 'graph';
  /** SHA-256 over model.json bytes and all weight bytes. */
  hash: string;
}

export function readModelArtifacts(path: string, what = 'tfjs teacher'): LoadedArtifacts {
  if (!existsSync(path)) throw new UserError(`${what}: model file '${path}' does not exist (expected a TF.js model.json)`);
  const text = readFileSync(path, 'utf8');
  let json: { format?: string; modelTopology?: Record<string, unknown>; weightsManifest?: tf.io.WeightsManifestConfig };
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what}: '${path}' is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!json.modelTopology || typeof json.modelTopology !== 'object') {
    throw new UserError(`${what}: '${path}' has no modelTopology (expected a TF.js model.json)`);
  }
  const hash = createHash('sha256').update(text);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) {
      const file = join(dirname(path), p);
      if (!existsSync(file)) throw new UserError(`${what}: weight file '${file}' named in '${path}' does not exist`);
      const buf = readFileSync(file);
      hash.update(buf);
      buffers.push(buf);
    }
    specs.push(...group.weights);
  }
  const data = Buffer.concat(buffers);
  const format = json.format === 'graph-model' || 'node' in json.modelTopology ? 'graph' : 'layers';
  return {
    artifacts: {
      modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      format: json.format,
      weightSpecs: specs,
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    },
    format,
    hash: hash.digest('hex'),
  };
}
