/**
 * Student models by spec: tintem's small ResNet-style CNN and ViT, torchvision's ResNet and MobileNetV3 trunks and
 * timm's ViTs, each a tf.LayersModel with outputs [pooled, tokens]. The kinds and their presets by name are
 * registry entries (./registry.ts, one file each under ./entries/); this module resolves, validates and builds.
 */
import type { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { buildCnn, type CnnSpec } from './cnn.js';
import { studentFlops as studentFlopsOf } from './flops.js';
import { STUDENT_LIMITS, intUpTo } from './limits.js';
import { buildMobilenetV3, type MobilenetV3Spec } from './mobilenetv3.js';
import { checkStudentKeys, getStudentPreset, studentKeys, studentKinds, studentPresets, type AnySpec, type StudentKindEntry } from './registry.js';
import { buildResnet, type ResnetSpec } from './resnet.js';
import type { Student } from './types.js';
import { buildVit, type VitSpec } from './vit.js';
import { trainableParamCount, wrapModel } from './wrap.js';

export type { CnnSpec } from './cnn.js';
export type { VitSpec } from './vit.js';
export type { ResnetSpec } from './resnet.js';
export type { MobilenetV3Spec } from './mobilenetv3.js';
export type { Student, StudentOutput } from './types.js';
export {
  checkStudentKeys, getStudentPreset, registerStudentKind, studentPresetNames, studentPresetRows, studentSectionProblem, studentWidthKey,
  unregisterStudentKind, type StudentKindEntry, type StudentPreset,
} from './registry.js';
export { defaultStudentSpec } from './entries/cnn.js';
export { defaultVitSpec, vitPatchFor } from './entries/vit.js';
export { STUDENT_LIMITS } from './limits.js';
export { studentFlops } from './flops.js';
/** The built-in kinds' specs (a plug-in kind's spec is any {@link AnySpec}). */
export type StudentSpec = CnnSpec | VitSpec | ResnetSpec | MobilenetV3Spec;

/** Builders of the built-in kinds (they load TensorFlow, so they live here and not in the registry entries). */
const BUILDERS: Record<string, (spec: never, seed: number) => tf.LayersModel> = {
  cnn: buildCnn, vit: buildVit, resnet: buildResnet, mobilenetv3: buildMobilenetV3,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const kindOf = (spec: { kind: string }, what: string): StudentKindEntry<any> => studentKinds.get(spec.kind, what);

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
  if (preset.sized) return validateStudentSpec({ ...preset.sized(inputSize, ch), ...fields }, what);
  const merged: Record<string, unknown> = { kind: preset.kind, preset: preset.name, inputSize, channels: ch, ...preset.fields, ...fields };
  if (merged.embedDim === undefined) merged.embedDim = kindOf(merged as AnySpec, what).trunkWidth(merged as AnySpec);
  return validateStudentSpec(merged, what);
}

/** Width of the trunk's last map / tokens (before any projection to embedDim). */
export function trunkWidth(spec: StudentSpec): number {
  return kindOf(spec, 'student spec').trunkWidth(spec);
}

/** Side of the student's token grid (tokens = grid^2), from the spec alone. */
export function studentTokenGrid(spec: StudentSpec): number {
  return kindOf(spec, 'student spec').tokenGrid(spec);
}

/** What to shrink besides the batch size when a student does not fit: a stride-4 stem only where the CNN lacks one (issue 27). */
export function smallerStudentHint(spec: StudentSpec): string {
  if (spec.kind === 'cnn' && spec.stemStride !== 4) return 'a smaller student.inputSize, or student.stemStride=4 (a 4x smaller first map)';
  return `a smaller student.inputSize (now ${spec.inputSize}) or a smaller student (e.g. --student mobilenetv3-small, or cnn)`;
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
  const kinds = () => studentKinds.names().map((k) => `'${k}'`).join(', ');
  if (!spec || typeof spec !== 'object') throw new UserError(`${what}: expected an object with kind ${kinds()}`);
  const need = (key: string, ok: (v: unknown) => boolean, expected: string) => {
    if (!ok(spec[key])) throw new UserError(`${what}: '${key}' must be ${expected} (got ${(JSON.stringify(spec[key]) ?? 'nothing').slice(0, 60)})`);
  };
  need('kind', (k) => studentKinds.has(k), kinds());
  const known = studentKeys(spec.kind as string);
  const unknown = Object.keys(spec).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new UserError(`${what}: ${JSON.stringify(unknown).slice(0, 80)}: unknown key for a ${spec.kind} student (expected one of: ${known.join(', ')})`);
  const L = STUDENT_LIMITS;
  need('inputSize', intUpTo(L.inputSize), `an integer 1..${L.inputSize}`);
  need('channels', (v) => v === 1 || v === 3, '1 or 3');
  need('embedDim', intUpTo(L.embedDim), `an integer 1..${L.embedDim}`);
  if (spec.preset !== undefined) need('preset', (v) => typeof v === 'string' && v.length <= 64, 'a preset name');
  kindOf(spec as AnySpec, what).check(spec, need, what);
  return spec as StudentSpec;
}

/** Builds a fresh student; every initialiser is seeded from `seed`, so the same seed gives the same weights. */
export function createStudent(spec: StudentSpec | AnySpec, seed: number): Student {
  const valid = validateStudentSpec(spec);
  const build = kindOf(valid, 'student spec').build ?? BUILDERS[valid.kind];
  if (!build) throw new Error(`student kind '${valid.kind}' has no builder`);
  return wrapModel(build(valid as never, seed), { ...valid });
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
  /** A ViT's patch side (its grid follows the input size in steps of it). */
  patchSize?: number;
}

export function describeStudent(student: Student): StudentDescription {
  const spec = student.spec as StudentSpec;
  const name = studentName(spec);
  const preset = studentPresets.find(name);
  const changed = Object.entries(preset?.fields ?? {}).filter(([k, v]) => (spec as Record<string, unknown>)[k] !== v).map(([k]) => `${k}=${JSON.stringify((spec as Record<string, unknown>)[k])}`);
  const reference = preset?.reference && (changed.length ? `${preset.reference} with ${changed.join(', ')}` : preset.reference);
  return {
    name, ...(reference ? { reference } : {}),
    parameters: studentParamCount(student), flops: studentFlopsOf(student.model),
    inputSize: student.inputSize, channels: student.channels, tokenGrid: student.tokenGrid, embedDim: student.embedDim,
    trunkWidth: trunkWidth(spec),
    ...(typeof (spec as Record<string, unknown>).patchSize === 'number' ? { patchSize: (spec as Record<string, unknown>).patchSize as number } : {}),
  };
}
