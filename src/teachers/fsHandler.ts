/**
 * Reads a TF.js model.json and its weight files from disk into ModelArtifacts (works on every backend, unlike
 * tfjs-node's file:// handler), plus a content hash of topology and weights that names the model in cache keys.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { createHash } from 'node:crypto';
import type { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';
import { GiB, MiB, readFileChecked } from '../util/safe-read.js';

/** Size caps checked before reading: a model.json is topology text; weights fit in one Node buffer. */
export const MAX_MODEL_JSON_BYTES = 256 * MiB;
export const MAX_WEIGHT_BYTES = 2 * GiB;

export interface LoadedArtifacts {
  artifacts: tf.io.ModelArtifacts;
  format: 'layers' | 'graph';
  /** SHA-256 over model.json bytes and all weight bytes. */
  hash: string;
}

export function readModelArtifacts(path: string, what = 'tfjs teacher'): LoadedArtifacts {
  const text = readFileChecked(path, { what: `${what} model.json`, maxBytes: MAX_MODEL_JSON_BYTES }).toString('utf8');
  let json: { format?: string; modelTopology?: Record<string, unknown>; weightsManifest?: tf.io.WeightsManifestConfig };
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what}: ${quoteName(path)} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!json.modelTopology || typeof json.modelTopology !== 'object') {
    throw new UserError(`${what}: ${quoteName(path)} has no modelTopology (expected a TF.js model.json)`);
  }
  const hash = createHash('sha256').update(text);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  let total = 0;
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) {
      if (typeof p !== 'string' || p === '') throw new UserError(`${what}: ${quoteName(path)}: weightsManifest paths must be file names`);
      if (isAbsolute(p)) throw new UserError(`${what}: ${quoteName(path)}: weight path ${quoteName(p)} must stay inside the model's folder`);
      // Weight files live beside model.json: no '../../etc/passwd', no absolute paths, no symlink out of the folder.
      const buf = readFileChecked(join(dirname(path), p), { what: `weight file named in ${quoteName(path)}`, maxBytes: MAX_WEIGHT_BYTES - total, within: dirname(path) });
      total += buf.length;
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
