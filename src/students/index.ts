/**
 * Student models by spec: tintem's small ResNet-style CNN and ViT, torchvision's ResNet and MobileNetV3 trunks and
 * timm's ViTs (presets by name in ./presets.ts), each a tf.LayersModel with outputs [pooled, tokens].
 */
import type { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { buildCnn, cnnTokenGrid, type CnnSpec } from './cnn.js';
import { buildMobilenetV3, mobilenetV3TokenGrid, mobilenetV3Width, type MobilenetV3Spec } from './mobilenetv3.js';
import { checkStudentKeys, getStudentPreset, isKind, KINDS, STUDENT_PRESETS, studentKeys } from './presets.js';
import { studentFlops as studentFlopsOf } from './flops.js';
import { buildResnet, RESNET_LAYOUTS, resnetTokenGrid, resnetWidth, type ResnetSpec } from './resnet.js';
import type { Student } from './types.js';
import { buildVit, checkVitSpec, vitTokenGrid, type VitSpec } from './vit.js';
import { trainableParamCount, wrapModel } from './wrap.js';

export type { CnnSpec } from './cnn.js';
export type { VitSpec } from './vit.js';
export type { ResnetSpec } from './resnet.js';
export type { MobilenetV3Spec } from './mobilenetv3.js';
export type { Student, StudentOutput } from './types.js';
export { STUDENT_PRESETS, checkStudentKeys, getStudentPreset, studentPresetNames, studentSectionProblem, studentWidthKey, type StudentPreset } from './presets.js';
export { studentFlops } from './flops.js';
export type StudentSpec = CnnSpec | VitSpec | ResnetSpec | MobilenetV3Spec;

const STUDENT_PRESETS_BY_NAME = new Map(STUDENT_PRESETS.map((p) => [p.name, p]));

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
const intUpTo = (max: number) => (v: unknown) => positiveInt(v) && (v as number) <= max;

/** The keys each kind takes: anything else is a typo (or a 50 MB value that would be copied into every file). */
/** Bounds far above anything a CPU trains, low enough that a typo cannot ask for terabytes. */
export const STUDENT_LIMITS = { inputSize: 1024, embedDim: 8192, width: 4096, stages: 16, blocks: 64, depth: 64, multiplier: 64 } as const;

/**
 * The student spec for a config's `student:` section (a preset name and/or spec fields) at the data's size and
 * channels: the preset's (or kind's) defaults, then the section's fields. `cnn` and `vit` resolve exactly as
 * before presets existed (their specs carry no `preset` key, so earlier runs resume); a named preset's embedDim
 * is the trunk's width unless the section sets it.
 */
export function resolveStudentSpec(section: Record<string, unknown>, size: number, channels: 1 | 3, what = 'config student'): StudentSpec {
  checkStudentKeys(section, what);
  const preset = getStudentPreset(section.preset ?? section.kind ?? 'cnn', what);
  const { preset: _name, ...fields } = section;
  void _name;
  const inputSize = typeof fields.inputSize === 'number' ? fields.inputSize : size;
  const ch = fields.channels === 1 || fields.channels === 3 ? fields.channels : channels;
  if (preset.name === 'cnn') return validateStudentSpec({ ...defaultStudentSpec(inputSize, ch), ...fields }, what);
  if (preset.name === 'vit') return validateStudentSpec({ ...defaultVitSpec(inputSize, ch), ...fields }, what);
  const merged: Record<string, unknown> = { kind: preset.kind, preset: preset.name, inputSize, channels: ch, ...preset.fields, ...fields };
  if (merged.embedDim === undefined) merged.embedDim = trunkWidth(merged as StudentSpec);
  return validateStudentSpec(merged, what);
}

/** Width of the trunk's last map / tokens (before any projection to embedDim). */
export function trunkWidth(spec: StudentSpec): number {
  switch (spec.kind) {
    case 'resnet': return resnetWidth(spec.depth);
    case 'mobilenetv3': return mobilenetV3Width(spec.size);
    case 'vit': return spec.width;
    case 'cnn': return spec.embedDim;
  }
}

/** Side of the student's token grid (tokens = grid^2), from the spec alone. */
export function studentTokenGrid(spec: StudentSpec): number {
  switch (spec.kind) {
    case 'resnet': return resnetTokenGrid(spec);
    case 'mobilenetv3': return mobilenetV3TokenGrid(spec);
    case 'vit': return vitTokenGrid(spec);
    case 'cnn': return cnnTokenGrid(spec);
  }
}

/** What a preset is called in output: its name, or the kind for tintem's own students. */
export function studentName(spec: StudentSpec): string {
  return typeof spec.preset === 'string' ? spec.preset : spec.kind;
}

/**
 * Checks a spec read from JSON/YAML (config files, export metadata) and returns it typed; `what` names the source
 * in the one-line UserError.
 */
export function validateStudentSpec(value: unknown, what = 'student spec'): StudentSpec {
  const spec = value as Record<string, unknown> | null;
  if (!spec || typeof spec !== 'object') throw new UserError(`${what}: expected an object with kind ${KINDS.map((k) => `'${k}'`).join(', ')}`);
  const need = (key: string, ok: (v: unknown) => boolean, expected: string) => {
    if (!ok(spec[key])) throw new UserError(`${what}: '${key}' must be ${expected} (got ${(JSON.stringify(spec[key]) ?? 'nothing').slice(0, 60)})`);
  };
  need('kind', isKind, KINDS.map((k) => `'${k}'`).join(', '));
  const known = studentKeys(spec.kind as StudentSpec['kind']);
  const unknown = Object.keys(spec).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new UserError(`${what}: ${JSON.stringify(unknown).slice(0, 80)}: unknown key for a ${spec.kind} student (expected one of: ${known.join(', ')})`);
  const L = STUDENT_LIMITS;
  need('inputSize', intUpTo(L.inputSize), `an integer 1..${L.inputSize}`);
  need('channels', (v) => v === 1 || v === 3, '1 or 3');
  need('embedDim', intUpTo(L.embedDim), `an integer 1..${L.embedDim}`);
  if (spec.preset !== undefined) need('preset', (v) => typeof v === 'string' && v.length <= 64, 'a preset name');
  if (spec.kind === 'resnet') {
    need('depth', (v) => typeof v === 'number' && v in RESNET_LAYOUTS, Object.keys(RESNET_LAYOUTS).join(', '));
    return spec as ResnetSpec;
  }
  if (spec.kind === 'mobilenetv3') {
    need('size', (v) => v === 'small' || v === 'large', "'small' or 'large'");
    return spec as MobilenetV3Spec;
  }
  if (spec.kind === 'cnn') {
    need('stemWidth', intUpTo(L.width), `an integer 1..${L.width}`);
    need('stemStride', (v) => v === 1 || v === 2 || v === 4, '1, 2 or 4');
    need('widthMultipliers', (v) => Array.isArray(v) && v.length > 0 && v.length <= L.stages && v.every((m) => typeof m === 'number' && m > 0 && m <= L.multiplier),
      `a list of 1..${L.stages} numbers in (0, ${L.multiplier}]`);
    need('blocksPerStage', (v) => Array.isArray(v) && v.length === (spec.widthMultipliers as unknown[]).length && v.every(intUpTo(L.blocks)),
      `a list of integers 1..${L.blocks}, one per width multiplier`);
    if ((spec.stemWidth as number) * Math.max(...(spec.widthMultipliers as number[])) > L.width) throw new UserError(`${what}: stemWidth x widthMultipliers exceeds ${L.width} channels`);
    return spec as CnnSpec;
  }
  for (const key of ['patchSize', 'width', 'numHeads']) need(key, intUpTo(L.width), `an integer 1..${L.width}`);
  need('depth', intUpTo(L.depth), `an integer 1..${L.depth}`);
  need('mlpRatio', (v) => typeof v === 'number' && v > 0 && v <= 16, 'a number in (0, 16]');
  checkVitSpec(spec as VitSpec, what);
  return spec as VitSpec;
}

/** Builds a fresh student; every initialiser is seeded from `seed`, so the same seed gives the same weights. */
export function createStudent(spec: StudentSpec, seed: number): Student {
  const valid = validateStudentSpec(spec);
  const model = valid.kind === 'cnn' ? buildCnn(valid, seed)
    : valid.kind === 'vit' ? buildVit(valid, seed)
      : valid.kind === 'resnet' ? buildResnet(valid, seed)
        : buildMobilenetV3(valid, seed);
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

/** What the dry run, the start of a run, summary.json and the report say about a student. */
export interface StudentDescription {
  /** The preset name (tintem's own: cnn / vit). */
  name: string;
  /** The published definition it reproduces, when it is one. */
  reference?: string;
  parameters: number;
  /** FLOPs of one forward pass of one image (2 per multiply-add; see ./flops.ts). */
  flops: number;
  inputSize: number;
  channels: 1 | 3;
  tokenGrid: number;
  embedDim: number;
  /** The trunk's own width (embedDim differs when a projection was asked for). */
  trunkWidth: number;
}

export function describeStudent(student: Student): StudentDescription {
  const spec = student.spec as StudentSpec;
  const name = studentName(spec);
  const preset = STUDENT_PRESETS_BY_NAME.get(name);
  const changed = Object.entries(preset?.fields ?? {}).filter(([k, v]) => (spec as Record<string, unknown>)[k] !== v).map(([k]) => `${k}=${JSON.stringify((spec as Record<string, unknown>)[k])}`);
  const reference = preset?.reference && (changed.length ? `${preset.reference} with ${changed.join(', ')}` : preset.reference);
  return {
    name, ...(reference ? { reference } : {}),
    parameters: studentParamCount(student), flops: studentFlopsOf(student.model),
    inputSize: student.inputSize, channels: student.channels, tokenGrid: student.tokenGrid, embedDim: student.embedDim,
    trunkWidth: trunkWidth(spec),
  };
}
