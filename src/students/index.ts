/** Student models by spec: a ResNet-style CNN or a small ViT, each a tf.LayersModel with outputs [pooled, tokens]. */
import type { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { buildCnn, type CnnSpec } from './cnn.js';
import type { Student } from './types.js';
import { buildVit, checkVitSpec, type VitSpec } from './vit.js';
import { trainableParamCount, wrapModel } from './wrap.js';

export type { CnnSpec } from './cnn.js';
export type { VitSpec } from './vit.js';
export type { Student, StudentOutput } from './types.js';
export type StudentSpec = CnnSpec | VitSpec;

/**
 * A small CNN that trains fast on 2 CPU cores: a stride-2 stem (32 ch) then stages of one basic block
 * (32, 64, then 128 ch at most), adding stride-2 stages until the token grid is at most 8 (28 px -> 14 -> 7x7),
 * d = 64; about 81 k parameters at 28 px. Keeping the stem at stride 2 made a batch-128 training step about 3x
 * faster than a stride-1 stem of the same size, for the same 7x7 grid.
 */
export function defaultStudentSpec(inputSize = 28, channels: 1 | 3 = 1): StudentSpec {
  // Photo-sized inputs (>= 96 px) get a stride-4 stem (ResNet's conv + max-pool), so a 224 px batch of 128
  // trains in a few GB: the first full-width map is 56x56 instead of 112x112.
  const stemStride = inputSize >= 96 ? 4 : 2;
  const widthMultipliers = [1];
  for (let side = Math.ceil(inputSize / stemStride); side > 8; side = Math.ceil(side / 2)) widthMultipliers.push(Math.min(4, 2 ** widthMultipliers.length));
  if (widthMultipliers.length === 1) widthMultipliers.push(2);
  return {
    kind: 'cnn', inputSize, channels, embedDim: 64,
    stemWidth: 32, stemStride, widthMultipliers, blocksPerStage: widthMultipliers.map(() => 1),
  };
}

/**
 * A small ViT preset. MNIST scale: patch 4 on 28 px -> 7x7 tokens, width 64, 4 blocks, 4 heads. Photo scale
 * (>= 64 px): the patch follows the input so the grid stays about 14x14 (ViT-Ti/16 at 224, /8 at 112), with
 * ViT-Ti's width 192 and 3 heads, 6 blocks to stay trainable on a CPU.
 */
export function defaultVitSpec(inputSize = 28, channels: 1 | 3 = 1): VitSpec {
  if (inputSize >= 64) {
    const patchSize = vitPatchFor(inputSize);
    return { kind: 'vit', inputSize, channels, embedDim: 192, patchSize, width: 192, depth: 6, numHeads: 3, mlpRatio: 4 };
  }
  return { kind: 'vit', inputSize, channels, embedDim: 64, patchSize: inputSize % 4 === 0 ? 4 : 1, width: 64, depth: 4, numHeads: 4, mlpRatio: 2 };
}

/** Patch side for a photo-sized ViT: 16 at 224 (grid 14), 8 at 112; the nearest divisor of the input to size/14. */
export function vitPatchFor(inputSize: number, grid = 14): number {
  const want = inputSize / grid;
  let best = 1;
  for (let p = 1; p <= inputSize; p++) if (inputSize % p === 0 && Math.abs(p - want) < Math.abs(best - want)) best = p;
  return best;
}

const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/**
 * Checks a spec read from JSON/YAML (config files, export metadata) and returns it typed; `what` names the source
 * in the one-line UserError.
 */
export function validateStudentSpec(value: unknown, what = 'student spec'): StudentSpec {
  const spec = value as Record<string, unknown> | null;
  if (!spec || typeof spec !== 'object') throw new UserError(`${what}: expected an object with kind 'cnn' or 'vit'`);
  const need = (key: string, ok: (v: unknown) => boolean, expected: string) => {
    if (!ok(spec[key])) throw new UserError(`${what}: '${key}' must be ${expected} (got ${JSON.stringify(spec[key])})`);
  };
  need('kind', (v) => v === 'cnn' || v === 'vit', "'cnn' or 'vit'");
  need('inputSize', positiveInt, 'a positive integer');
  need('channels', (v) => v === 1 || v === 3, '1 or 3');
  need('embedDim', positiveInt, 'a positive integer');
  if (spec.kind === 'cnn') {
    need('stemWidth', positiveInt, 'a positive integer');
    need('stemStride', (v) => v === 1 || v === 2 || v === 4, '1, 2 or 4');
    need('widthMultipliers', (v) => Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === 'number' && m > 0), 'a non-empty list of numbers > 0');
    need('blocksPerStage', (v) => Array.isArray(v) && v.length === (spec.widthMultipliers as unknown[]).length && v.every(positiveInt),
      'a list of positive integers, one per width multiplier');
    return spec as CnnSpec;
  }
  for (const key of ['patchSize', 'width', 'depth', 'numHeads']) need(key, positiveInt, 'a positive integer');
  need('mlpRatio', (v) => typeof v === 'number' && v > 0, 'a number > 0');
  checkVitSpec(spec as VitSpec, what);
  return spec as VitSpec;
}

/** Builds a fresh student; every initialiser is seeded from `seed`, so the same seed gives the same weights. */
export function createStudent(spec: StudentSpec, seed: number): Student {
  const valid = validateStudentSpec(spec);
  const model = valid.kind === 'cnn' ? buildCnn(valid, seed) : buildVit(valid, seed);
  return wrapModel(model, { ...valid });
}

/** Wraps a loaded model (e.g. tf.loadLayersModel of an export or checkpoint) with the spec it was built from. */
export function studentFromModel(model: tf.LayersModel, spec: StudentSpec): Student {
  return wrapModel(model, { ...validateStudentSpec(spec) });
}

/** Trainable parameters of a student or model (BatchNorm moving statistics not counted). */
export function studentParamCount(student: Student | tf.LayersModel): number {
  return trainableParamCount('trainableVariables' in student && 'spec' in student ? student.model : student);
}
