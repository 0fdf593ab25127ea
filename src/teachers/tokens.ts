/**
 * Model outputs -> the shared token layout { pooled = token 0, tokens = patch tokens }:
 *   [B, D]        an embedding: pooled only;
 *   [B, N, D]     a ViT's tokens: CLS first (or none: pooled = mean of the patches, or taken from another
 *                 output), then `registers` tokens that are skipped, then a patchGrid x patchGrid patch grid;
 *   [B, C, H, W] / [B, H, W, C]   a feature map (layout from the model's declared shape): pooled = its mean.
 * The patch map is kept whole (grid 'full') or average-pooled to grid x grid. Several outputs are concatenated
 * along the feature axis. A 1 x 1 map has no spatial tokens, so it gives pooled only (never copies of one token).
 */
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { warn } from '../util/log.js';
import { adaptiveAvgPoolTokens } from './features.js';
import { assertGridFits, type MapLayout } from './options.js';
import type { TeacherIdentity } from './identity.js';
import type { TeacherOutput } from './types.js';

export interface TokenLayoutOptions {
  /** Outputs whose features are used, in order. */
  outputs: string[];
  /** 'first' | 'none' | an output name. */
  cls: string;
  registers: number;
  patchGrid?: number;
  grid: 'full' | number;
  layout: MapLayout;
}

export interface NamedOutput {
  tensor: tf.Tensor;
  /** Shape declared by the model (symbolic dims as strings), when known. */
  declared?: ReadonlyArray<number | string>;
}

const warned = new Set<string>();

/** 'nhwc' | 'nchw' for a rank-4 output, from the declared shape, else the actual one; throws when ambiguous. */
export function mapLayout(name: string, shape: number[], declared: ReadonlyArray<number | string> | undefined, layout: MapLayout, source: string, allOutputs: string[]): 'nhwc' | 'nchw' {
  if (layout !== 'auto') return layout;
  const guess = (d: ReadonlyArray<number | string>): 'nhwc' | 'nchw' | undefined => {
    const [, a, b, c] = d;
    const num = (v: number | string | undefined) => typeof v === 'number' && v > 0;
    if (num(a) && num(b) && num(c)) {
      if (a === b && c !== a) return 'nhwc';
      if (b === c && a !== b) return 'nchw';
      return undefined;
    }
    // Symbolic spatial dims with a fixed channel count (e.g. ['N', 384, 'H', 'W']).
    if (num(a) && !num(b) && !num(c)) return 'nchw';
    if (num(c) && !num(a) && !num(b)) return 'nhwc';
    return undefined;
  };
  const found = (declared && declared.length === 4 ? guess(declared) : undefined) ?? guess(shape);
  if (found) return found;
  throw new UserError(`${source}: cannot tell whether output '${name}' [${shape.join(', ')}] is channels-first or channels-last (outputs: ${allOutputs.join(', ')}); add layout=nchw or layout=nhwc to the teacher spec (e.g. onnx:model.onnx#layout=nchw)`);
}

interface Part { pooled?: tf.Tensor2D; map?: tf.Tensor4D }

function splitTokens(name: string, y: tf.Tensor3D, o: TokenLayoutOptions, source: string): Part {
  const [b, n, d] = y.shape;
  // With CLS from another output, the token output may still carry its own CLS first (DINOv2, CLIP) or not
  // (SigLIP): whichever leaves a square patch grid.
  const isSquare = (m: number) => m > 0 && Math.round(Math.sqrt(m)) ** 2 === m;
  const ownCls = o.cls === 'first' || (o.cls !== 'none' && !o.patchGrid && !isSquare(n - o.registers) && isSquare(n - o.registers - 1));
  const start = (ownCls ? 1 : 0) + o.registers;
  const patches = n - start;
  const side = o.patchGrid ?? Math.round(Math.sqrt(patches));
  if (patches <= 0 || side * side !== patches) {
    throw new UserError(`${source}: output '${name}' has ${n} tokens; with cls=${o.cls} and registers=${o.registers} that leaves ${patches} patch tokens, not a ${o.patchGrid ? `${side}x${side}` : 'square'} grid; set registers=<k>, cls=first|none or patch-grid=<side> in the teacher spec`);
  }
  const map = tf.reshape(tf.slice(y, [0, start, 0], [b, patches, d]), [b, side, side, d]) as tf.Tensor4D;
  const pooled = ownCls ? (tf.reshape(tf.slice(y, [0, 0, 0], [b, 1, d]), [b, d]) as tf.Tensor2D) : undefined;
  return { pooled, map };
}

function toPart(name: string, out: NamedOutput, o: TokenLayoutOptions, source: string, all: string[]): Part {
  const y = out.tensor;
  if (y.rank === 2) return { pooled: y as tf.Tensor2D };
  if (y.rank === 3) return splitTokens(name, y as tf.Tensor3D, o, source);
  if (y.rank === 4) {
    const layout = mapLayout(name, y.shape, out.declared, o.layout, source, all);
    return { map: layout === 'nchw' ? (tf.transpose(y, [0, 2, 3, 1]) as tf.Tensor4D) : (y as tf.Tensor4D) };
  }
  throw new UserError(`${source}: output '${name}' has shape [${y.shape.join(', ')}]; expected [B, D], [B, N, D] or a 4-D feature map (outputs: ${all.join(', ')})`);
}

/** The outputs (by name) as teacher outputs; call inside tf.tidy. */
export function outputsToTeacherOutput(outputs: Record<string, NamedOutput>, o: TokenLayoutOptions, source: string): TeacherOutput {
  const all = Object.keys(outputs);
  const parts = o.outputs.map((name) => toPart(name, outputs[name]!, o, source, all));
  const maps = parts.map((p) => p.map);
  let map: tf.Tensor4D | undefined;
  if (maps.every((m) => m !== undefined)) {
    const sides = new Set(maps.map((m) => `${m.shape[1]}x${m.shape[2]}`));
    if (sides.size > 1) throw new UserError(`${source}: outputs ${o.outputs.join(', ')} have different grids (${[...sides].join(', ')}); combine outputs of one grid`);
    map = maps.length === 1 ? maps[0] : (tf.concat(maps, 3) as tf.Tensor4D);
  } else if (maps.some((m) => m !== undefined)) {
    throw new UserError(`${source}: outputs ${o.outputs.join(', ')} mix embeddings and token maps; name the embedding with cls=<output> instead`);
  }
  let pooled: tf.Tensor2D;
  if (o.cls !== 'first' && o.cls !== 'none') {
    const c = outputs[o.cls]!.tensor;
    pooled = (c.rank === 3 ? tf.reshape(tf.slice(c, [0, 0, 0], [c.shape[0]!, 1, c.shape[2]!]), [c.shape[0]!, c.shape[2]!]) : c) as tf.Tensor2D;
    if (pooled.rank !== 2) throw new UserError(`${source}: cls output '${o.cls}' has shape [${c.shape.join(', ')}]; expected [B, D] or [B, N, D]`);
  } else {
    // Token 0 per output: its CLS when it has one, else the mean of its map / its embedding.
    const pieces = parts.map((p) => p.pooled ?? (tf.mean(p.map!, [1, 2]) as tf.Tensor2D));
    pooled = pieces.length === 1 ? pieces[0]! : (tf.concat(pieces, 1) as tf.Tensor2D);
  }
  if (!map) return { pooled };
  const [, h, w] = map.shape;
  if (h === 1 && w === 1) {
    if (!warned.has(source)) { warned.add(source); warn(`${source}: the feature map is 1x1, so it has no spatial tokens; using pooled only`); }
    return { pooled };
  }
  if (o.grid !== 'full') assertGridFits(o.grid, h!, w!, source);
  const tokens = o.grid === 'full' || (o.grid === h && o.grid === w)
    ? (tf.reshape(map, [map.shape[0], h * w, map.shape[3]]) as tf.Tensor3D)
    : adaptiveAvgPoolTokens(map, o.grid);
  return { pooled, tokens };
}

/**
 * The model part of a model file's identity ('<kind>:<hash16>:<outputs>'), with the token options unless they are
 * the defaults (`plain`: the old id form, so existing caches stay valid).
 */
export function modelFileIdentity(kind: string, hash: string, o: TokenLayoutOptions, plain: boolean, plainOutput = o.outputs[0]): Pick<TeacherIdentity, 'model' | 'tokens'> {
  if (plain) return { model: `${kind}:${hash.slice(0, 16)}:${plainOutput}` };
  return { model: `${kind}:${hash.slice(0, 16)}:${o.outputs.join('+')}`, tokens: { cls: o.cls, registers: o.registers, patchGrid: o.patchGrid ?? 'auto', layout: o.layout } };
}
