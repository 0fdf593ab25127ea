/**
 * Cuts a Keras (TF.js layers-format) model.json at a named layer: keeps only the layers that layer depends on,
 * makes it the output, frees the input's spatial size, and keeps only the weights those layers own.
 * Used to turn a classifier into a feature trunk without loading (or decoding) the discarded head.
 */
import type { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

interface KerasModelConfig {
  name: string;
  layers: KerasLayer[];
  input_layers: unknown[];
  output_layers: unknown[];
}

export interface LayersModelJson {
  modelTopology: { model_config: { class_name: string; config: KerasModelConfig }; [k: string]: unknown };
  weightsManifest: tf.io.WeightsManifestConfig;
  [k: string]: unknown;
}

/** Names of the layers a layer's inbound nodes refer to (Keras 2 format: [[[name, nodeIdx, tensorIdx, kwargs], ...]]). */
function inboundLayerNames(layer: KerasLayer): string[] {
  const names: string[] = [];
  for (const node of layer.inbound_nodes) {
    for (const ref of node as unknown[][]) names.push(String(ref[0]));
  }
  return names;
}

/** Layer names in the model, in model order. */
export function layerNames(json: LayersModelJson): string[] {
  return json.modelTopology.model_config.config.layers.map((l) => l.name);
}

/**
 * Returns a new model.json whose output is `cutLayer`, with only the layers it needs, the InputLayer's
 * batch_input_shape set to [null, null, null, C] (any input size), and the training config dropped.
 */
export function cutLayersModelJson(json: LayersModelJson, cutLayer: string): { json: LayersModelJson; keptLayers: Set<string> } {
  const cfg = json.modelTopology.model_config.config;
  const byName = new Map(cfg.layers.map((l) => [l.name, l]));
  if (!byName.has(cutLayer)) {
    throw new UserError(`cut layer '${cutLayer}' not found in model '${cfg.name}' (it has ${cfg.layers.length} layers, e.g. ${cfg.layers.slice(-3).map((l) => l.name).join(', ')})`);
  }
  const kept = new Set<string>();
  const stack = [cutLayer];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (kept.has(name)) continue;
    kept.add(name);
    const layer = byName.get(name);
    if (!layer) throw new UserError(`model '${cfg.name}': layer '${name}' is referenced but not defined`);
    stack.push(...inboundLayerNames(layer));
  }
  const layers = cfg.layers.filter((l) => kept.has(l.name)).map((l) => {
    if (l.class_name !== 'InputLayer') return l;
    const shape = (l.config.batch_input_shape as (number | null)[] | undefined) ?? [null, null, null, 3];
    return { ...l, config: { ...l.config, batch_input_shape: [null, null, null, shape[shape.length - 1] ?? 3] } };
  });
  const { training_config: _unused, ...topology } = json.modelTopology;
  const cut: LayersModelJson = {
    ...json,
    modelTopology: {
      ...topology,
      model_config: { ...json.modelTopology.model_config, config: { ...cfg, layers, output_layers: [[cutLayer, 0, 0]] } },
    },
    weightsManifest: json.weightsManifest,
  };
  return { json: cut, keptLayers: kept };
}

const BYTES_PER: Record<string, number> = { float32: 4, int32: 4, float16: 2, uint16: 2, uint8: 1, bool: 1 };

/** Bytes one weight occupies in the shard data (quantised weights store their quantised dtype). */
function weightBytes(w: tf.io.WeightsManifestEntry): number {
  const dtype = w.quantization?.dtype ?? w.dtype;
  const per = BYTES_PER[dtype];
  if (per === undefined) throw new UserError(`weight '${w.name}': unsupported dtype '${dtype}'`);
  return w.shape.reduce((a, b) => a * b, 1) * per;
}

/**
 * Keeps only the weights that belong to `keptLayers` (weight names are '<layer>/<variable>'), slicing them
 * out of the concatenated shard bytes. Returns specs + data ready for tf.io.fromMemory.
 */
export function selectWeights(
  manifest: tf.io.WeightsManifestConfig, data: Uint8Array, keptLayers: Set<string>,
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const pieces: { start: number; end: number }[] = [];
  let offset = 0;
  for (const group of manifest) {
    for (const w of group.weights) {
      const size = weightBytes(w);
      const layer = w.name.split('/')[0]!;
      if (keptLayers.has(layer)) { specs.push(w); pieces.push({ start: offset, end: offset + size }); }
      offset += size;
    }
  }
  if (offset !== data.byteLength) {
    throw new UserError(`weights manifest describes ${offset} bytes but the shards hold ${data.byteLength}`);
  }
  const out = new Uint8Array(pieces.reduce((a, p) => a + p.end - p.start, 0));
  let at = 0;
  for (const p of pieces) { out.set(data.subarray(p.start, p.end), at); at += p.end - p.start; }
  return { specs, data: out.buffer };
}
