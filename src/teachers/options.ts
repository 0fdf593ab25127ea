/**
 * Teacher options for model files (ONNX, TF.js): which outputs, how a [B, N, D] token output splits into CLS /
 * registers / patches, and the preprocessing (input size, resize mode, interpolation, mean/std). They come from a
 * preset, the spec's '#key=value,...' fragment, the config's `teacherOptions` and command-line flags (later wins),
 * and all of them are part of the teacher id, hence of the cache key.
 */
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import type { TeacherIdentity } from './identity.js';
import { IMAGENET_MEAN_STD, MINUS_ONE_TO_ONE, type Normalization } from './normalization.js';

export type ResizeMode = 'crop' | 'squash';
export type Interpolation = 'bilinear' | 'nearest';
export type MapLayout = 'auto' | 'nchw' | 'nhwc';
export const PRESET_NAMES = ['dinov2', 'clip', 'siglip', 'imagenet'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/**
 * The options as the teachers read them: the fields of teacherOptionsSchema (below; their descriptions are there),
 * with mean/std as plain lists (presets spread a Normalization into them).
 */
export type TeacherOptions = Omit<z.infer<typeof teacherOptionsSchema>, 'mean' | 'std'> & { mean?: number[]; std?: number[] };

const CLIP_NORM: Normalization = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };

/** The published preprocessing of each family (Hugging Face image processors / torchvision). */
export const TEACHER_PRESETS: Record<PresetName, TeacherOptions & { description: string }> = {
  dinov2: { description: 'DINOv2 (facebook/dinov2-*): 224 px, shorter side 256 + centre crop, ImageNet mean/std, CLS first', inputSize: 224, resize: 'crop', crop: 224 / 256, ...IMAGENET_MEAN_STD, cls: 'first' },
  clip: { description: 'CLIP vision towers (openai/clip-vit-*): 224 px, shorter side 224 + centre crop, CLIP mean/std, CLS first', inputSize: 224, resize: 'crop', crop: 1, ...CLIP_NORM, cls: 'first' },
  siglip: { description: 'SigLIP vision towers (google/siglip-*): 224 px squashed, mean/std 0.5, no CLS (pooled = pooler_output when exported, else patch mean)', inputSize: 224, resize: 'squash', ...MINUS_ONE_TO_ONE, cls: 'pooler_output?' },
  imagenet: { description: 'torchvision ImageNet classifiers: 224 px, shorter side 256 + centre crop, ImageNet mean/std', inputSize: 224, resize: 'crop', crop: 224 / 256, ...IMAGENET_MEAN_STD },
};

const KEYS = ['preset', 'output', 'outputs', 'cls', 'registers', 'patch-grid', 'patchGrid', 'grid', 'layout', 'size', 'input-size', 'inputSize', 'resize', 'crop', 'interp', 'interpolation', 'mean', 'std'];

function numberList(where: string, key: string, value: string): number[] {
  const xs = value.split(/[/ ]/).filter(Boolean).map(Number);
  if (xs.length !== 3 || !xs.every((x) => Number.isFinite(x))) throw new UserError(`${where}: ${key} expects three numbers like 0.5/0.5/0.5, got '${value}'`);
  return xs;
}

function intValue(where: string, key: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${where}: ${key} expects an integer from ${min} to ${max}, got '${value}'`);
  return n;
}

/**
 * Bounds of the sizes a teacher option sets, checked before any work: each multiplies memory or cache size.
 * grid matches the config's teacherGrid limit (64: 4096 tokens an image).
 */
/** '--teacher-preset' help, from the presets defined here. */
export function teacherPresetHelp(): string {
  return `model-file teachers: ${PRESET_NAMES.slice(0, -1).join(', ')} or ${PRESET_NAMES.at(-1)!} preprocessing and token layout`;
}

export const TEACHER_OPTION_LIMITS = { grid: 64, patchGrid: 1024, registers: 1024, inputSize: 4096 } as const;

/**
 * A token grid may pool a feature map down, never up: a grid finer than the map would store each token several
 * times (a 4x4 patch grid "pooled" to 100x100 repeats every token 625 times). 1x1 maps carry no tokens.
 */
export function assertGridFits(grid: number, h: number, w: number, source: string): void {
  if (h * w > 1 && (grid > h || grid > w)) {
    throw new UserError(`${source}: token grid ${grid}x${grid} is finer than the model's ${h}x${w} feature map (pooling can only make it coarser); use grid=${Math.min(h, w)} or less (teacher option grid / config teacherGrid), or grid=full`);
  }
}

/**
 * The teacher's token grid must not be finer than the student's: the token losses pool the finer map to the
 * coarser one, so a finer teacher grid only stores tokens that are averaged away (the cache grows by its square).
 */
export function assertTeacherGridFits(teacherGrid: number | undefined, studentGrid: number, source: string): void {
  if (teacherGrid !== undefined && teacherGrid > studentGrid) {
    throw new UserError(`${source}: the teacher's token grid ${teacherGrid}x${teacherGrid} is finer than the student's ${studentGrid}x${studentGrid} (the losses would pool it down to ${studentGrid}x${studentGrid}); set teacherGrid (or the teacher option grid) to ${studentGrid} or less`);
  }
}

const int = z.number().int();

/**
 * The teacher options, defined once: this schema is the config's `teacherOptions` section (handed to config/ through
 * the registries, as the methods' schemas are), the rows of docs/config.md and, with TEACHER_OPTION_SYNTAX, the
 * `--teacher-option` help; '#key=value' fragments and flags are checked by setTeacherOption with the same bounds.
 */
export const teacherOptionsSchema = z.strictObject({
  preset: z.enum(PRESET_NAMES).optional().describe(`published preprocessing of a family: ${PRESET_NAMES.join(', ')}`),
  outputs: z.array(z.string().min(1)).min(1).optional().describe("output names (several are concatenated along the feature axis); default the model's first"),
  cls: z.string().min(1).optional().describe("token 0 of a [B, N, D] output: 'first' (CLS first), 'none' (mean of the patches) or another output's name"),
  registers: int.min(0).max(TEACHER_OPTION_LIMITS.registers).optional().describe('register tokens after CLS to skip (DINOv2 with registers: 4)'),
  patchGrid: int.positive().max(TEACHER_OPTION_LIMITS.patchGrid).optional().describe('patch grid side (default sqrt of the patch count)'),
  grid: z.union([z.literal('full'), int.positive().max(TEACHER_OPTION_LIMITS.grid)]).optional().describe("'full' keeps the patch grid whole instead of pooling it to teacherGrid"),
  layout: z.enum(['auto', 'nchw', 'nhwc']).optional().describe("4-D outputs: channels first or last ('auto': from the model's declared shape)"),
  inputSize: int.positive().min(8).max(TEACHER_OPTION_LIMITS.inputSize).optional().describe('input side in pixels'),
  resize: z.enum(['crop', 'squash']).optional().describe("'crop': shorter side + centre crop (keeping `crop` of it); 'squash': stretch to the square"),
  crop: z.number().gt(0).max(1).optional().describe("fraction of the shorter side kept by resize 'crop'"),
  interpolation: z.enum(['bilinear', 'nearest']).optional().describe('resize interpolation'),
  mean: z.tuple([z.number(), z.number(), z.number()]).optional().describe('per-channel mean subtracted from [0, 1] pixels'),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).optional().describe('per-channel std the pixels are divided by'),
});

/** How each option is written as 'key=value' (spec fragment, --teacher-option), in the help's order; preset has its own flag. */
export const TEACHER_OPTION_SYNTAX: Record<Exclude<keyof z.infer<typeof teacherOptionsSchema>, 'preset'>, string> = {
  outputs: 'output=a+b', cls: 'cls=first|none|<output>', registers: 'registers=k', patchGrid: 'patch-grid=n', grid: 'grid=full', inputSize: 'size=224', resize: 'resize=crop|squash',
  crop: 'crop=0.875', interpolation: 'interp=bilinear|nearest', mean: 'mean=a/b/c', std: 'std=a/b/c', layout: 'layout=nchw|nhwc',
};

/** '--teacher-option' help, from the options defined here. */
export function teacherOptionHelp(): string {
  return `model-file teachers: ${Object.values(TEACHER_OPTION_SYNTAX).join(', ')} (repeatable)`;
}

/** A validated config `teacherOptions` section as the teachers' typed options (the config layer keeps it untyped). */
export function teacherOptionsOf(section: Readonly<Record<string, unknown>> | undefined): TeacherOptions | undefined {
  return section as TeacherOptions | undefined;
}

/** The TeacherOptions field each option key sets (aliases share one). */
const FIELD: Record<string, keyof TeacherOptions> = {
  preset: 'preset', output: 'outputs', outputs: 'outputs', cls: 'cls', registers: 'registers', 'patch-grid': 'patchGrid', patchGrid: 'patchGrid',
  grid: 'grid', layout: 'layout', size: 'inputSize', 'input-size': 'inputSize', inputSize: 'inputSize', resize: 'resize', crop: 'crop',
  interp: 'interpolation', interpolation: 'interpolation', mean: 'mean', std: 'std',
};

/** One 'key=value' option (from a spec fragment or a flag) into `into`; a key given twice (or as two aliases) is refused. */
export function setTeacherOption(into: TeacherOptions, key: string, value: string, where: string): void {
  const field = FIELD[key];
  if (field !== undefined && into[field] !== undefined) {
    throw new UserError(`${where}: teacher option ${key} is given twice (as ${field}=${JSON.stringify(into[field])} and ${key}=${value}); give it once`);
  }
  switch (key) {
    case 'preset':
      if (!(PRESET_NAMES as readonly string[]).includes(value)) throw new UserError(`${where}: unknown preset '${value}' (expected ${PRESET_NAMES.join(', ')})`);
      into.preset = value as PresetName; break;
    case 'output': case 'outputs': into.outputs = value.split('+').filter(Boolean); break;
    case 'cls': into.cls = value; break;
    case 'registers': into.registers = intValue(where, key, value, 0, TEACHER_OPTION_LIMITS.registers); break;
    case 'patch-grid': case 'patchGrid': into.patchGrid = intValue(where, key, value, 1, TEACHER_OPTION_LIMITS.patchGrid); break;
    case 'grid': into.grid = value === 'full' ? 'full' : intValue(where, key, value, 1, TEACHER_OPTION_LIMITS.grid); break;
    case 'layout':
      if (!['auto', 'nchw', 'nhwc'].includes(value)) throw new UserError(`${where}: layout expects auto, nchw or nhwc, got '${value}'`);
      into.layout = value as MapLayout; break;
    case 'size': case 'input-size': case 'inputSize': into.inputSize = intValue(where, key, value, 8, TEACHER_OPTION_LIMITS.inputSize); break;
    case 'resize':
      if (value !== 'crop' && value !== 'squash') throw new UserError(`${where}: resize expects crop or squash, got '${value}'`);
      into.resize = value; break;
    case 'crop': {
      const c = Number(value);
      if (!(c > 0 && c <= 1)) throw new UserError(`${where}: crop expects a fraction in (0, 1], got '${value}'`);
      into.crop = c; break;
    }
    case 'interp': case 'interpolation':
      if (value !== 'bilinear' && value !== 'nearest') throw new UserError(`${where}: interpolation expects bilinear or nearest, got '${value}'`);
      into.interpolation = value; break;
    case 'mean': into.mean = numberList(where, key, value); break;
    case 'std': {
      const s = numberList(where, key, value);
      if (!s.every((x) => x > 0)) throw new UserError(`${where}: std must be positive, got '${value}'`);
      into.std = s; break;
    }
    default:
      throw new UserError(`${where}: unknown teacher option '${key}' (expected ${KEYS.filter((k) => !/[A-Z]/.test(k)).join(', ')})`);
  }
}

/**
 * Splits a model spec argument into the file path and its options: 'model.onnx#preset=dinov2,registers=4'
 * (lists inside a value use '+' for outputs and '/' for numbers); 'model.onnx:pooler_output' names an output.
 */
export function parseModelSpec(arg: string, where: string): { path: string; options: TeacherOptions } {
  const options: TeacherOptions = {};
  let path = arg;
  const hash = arg.indexOf('#');
  if (hash >= 0) {
    path = arg.slice(0, hash);
    for (const part of arg.slice(hash + 1).split(',').filter(Boolean)) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new UserError(`${where}: expected key=value options after '#', got '${part}'`);
      setTeacherOption(options, part.slice(0, eq).trim(), part.slice(eq + 1).trim(), where);
    }
  }
  const named = /^(.*\.(?:onnx|json)):([^/\\:]+)$/.exec(path);
  if (named) { path = named[1]!; options.outputs ??= named[2]!.split('+'); }
  return { path, options };
}

/** Later layers win; undefined fields do not override; a preset fills what no layer sets. */
export function mergeTeacherOptions(...layers: Array<TeacherOptions | undefined>): TeacherOptions {
  const out: TeacherOptions = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  if (!out.preset) return out;
  const { description: _description, ...fields } = TEACHER_PRESETS[out.preset];
  return { ...fields, ...out };
}

export interface Preprocess {
  inputSize: number;
  resize: ResizeMode;
  crop: number;
  interpolation: Interpolation;
  normalization: Normalization;
}

/** The preprocessing these options give over a model family's defaults. */
export function resolvePreprocess(o: TeacherOptions, defaults: { inputSize: number; normalization: Normalization }): Preprocess {
  const normalization = { mean: o.mean ?? defaults.normalization.mean, std: o.std ?? defaults.normalization.std };
  return { inputSize: o.inputSize ?? defaults.inputSize, resize: o.resize ?? 'squash', crop: o.crop ?? 1, interpolation: o.interpolation ?? 'bilinear', normalization };
}

/** The preprocessing part of a teacher identity. Squash/bilinear keep the old form so existing caches stay valid. */
export function preprocessIdentity(p: Preprocess): Pick<TeacherIdentity, 'inputSize' | 'normalization' | 'crop' | 'interpolation'> {
  return {
    inputSize: p.inputSize, normalization: `m${p.normalization.mean.join(',')}s${p.normalization.std.join(',')}`,
    ...(p.resize === 'crop' ? { crop: p.crop } : {}), ...(p.interpolation === 'bilinear' ? {} : { interpolation: p.interpolation }),
  };
}

/** Teacher options a built-in teacher uses (the model-file kinds, tfjs: and onnx:, use them all). */
const BUILTIN_OPTIONS: Record<string, ReadonlyArray<keyof TeacherOptions>> = { inception: ['inputSize'], mobilenet: ['inputSize'], random: [] };

/**
 * Refuses teacher options that the teacher `kind` would ignore (e.g. --teacher-preset dinov2 with the built-in
 * inception teacher, whose preprocessing is fixed): an ignored option is a silent surprise.
 */
export function assertTeacherOptionsApply(kind: string, options: TeacherOptions | undefined): void {
  const accepts = BUILTIN_OPTIONS[kind];
  if (!accepts || !options) return;
  const ignored = Object.entries(options).filter(([k, v]) => v !== undefined && !accepts.includes(k as keyof TeacherOptions)).map(([k]) => k);
  if (ignored.length > 0) {
    const allowed = accepts.length ? `it takes only ${accepts.join(', ')}` : 'it takes none';
    throw new UserError(`--teacher ${kind}: teacher option${ignored.length > 1 ? 's' : ''} ${ignored.join(', ')} (from --teacher-preset, --teacher-option or teacherOptions) would be ignored by the built-in ${kind} teacher (${allowed}); they apply to tfjs: and onnx: model files`);
  }
}
