/**
 * Teacher options for model files (ONNX, TF.js): which outputs, how a [B, N, D] token output splits into CLS /
 * registers / patches, and the preprocessing (input size, resize mode, interpolation, mean/std). They come from a
 * preset, the spec's '#key=value,...' fragment, the config's `teacherOptions` and command-line flags (later wins),
 * and all of them are part of the teacher id, hence of the cache key.
 */
import { UserError } from '../util/errors.js';
import { IMAGENET_MEAN_STD, MINUS_ONE_TO_ONE, type Normalization } from './normalization.js';

export type ResizeMode = 'crop' | 'squash';
export type Interpolation = 'bilinear' | 'nearest';
export type MapLayout = 'auto' | 'nchw' | 'nhwc';
export const PRESET_NAMES = ['dinov2', 'clip', 'siglip', 'imagenet'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface TeacherOptions {
  preset?: PresetName;
  /** Output names to use (several are concatenated along the feature axis); default the model's first. */
  outputs?: string[];
  /**
   * Token 0 of a [B, N, D] output: 'first' (CLS first, the default), 'none' (no CLS: pooled = mean of the
   * patches), or the name of another output that holds it (e.g. 'pooler_output').
   */
  cls?: string;
  /** Register tokens after the CLS token to skip (DINOv2 with registers: 4). */
  registers?: number;
  /** Side of the patch grid; default sqrt of the patch count. */
  patchGrid?: number;
  /** Keep the patch grid whole ('full') instead of pooling it to the teacher grid. */
  grid?: 'full' | number;
  /** 4-D outputs: channels first or last; 'auto' reads it from the model's declared shape. */
  layout?: MapLayout;
  inputSize?: number;
  /** 'crop': centre square of `crop` x the shorter side, resized (= resize shorter side + centre crop); 'squash': stretch. */
  resize?: ResizeMode;
  /** Fraction of the shorter side kept by 'crop' (torchvision's 224/256 = 0.875). */
  crop?: number;
  interpolation?: Interpolation;
  mean?: number[];
  std?: number[];
}

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

function intValue(where: string, key: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${where}: ${key} expects an integer >= ${min}, got '${value}'`);
  return n;
}

/** One 'key=value' option (from a spec fragment or a flag) into `into`. */
export function setTeacherOption(into: TeacherOptions, key: string, value: string, where: string): void {
  switch (key) {
    case 'preset':
      if (!(PRESET_NAMES as readonly string[]).includes(value)) throw new UserError(`${where}: unknown preset '${value}' (expected ${PRESET_NAMES.join(', ')})`);
      into.preset = value as PresetName; break;
    case 'output': case 'outputs': into.outputs = value.split('+').filter(Boolean); break;
    case 'cls': into.cls = value; break;
    case 'registers': into.registers = intValue(where, key, value, 0); break;
    case 'patch-grid': case 'patchGrid': into.patchGrid = intValue(where, key, value, 1); break;
    case 'grid': into.grid = value === 'full' ? 'full' : intValue(where, key, value, 1); break;
    case 'layout':
      if (!['auto', 'nchw', 'nhwc'].includes(value)) throw new UserError(`${where}: layout expects auto, nchw or nhwc, got '${value}'`);
      into.layout = value as MapLayout; break;
    case 'size': case 'input-size': case 'inputSize': into.inputSize = intValue(where, key, value, 8); break;
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

/** Short text for teacher ids. Squash/bilinear keep the old form so existing caches stay valid. */
export function preprocessTag(p: Preprocess): string {
  const extra = p.resize === 'crop' ? `|crop${p.crop}` : '';
  const interp = p.interpolation === 'bilinear' ? '' : `|${p.interpolation}`;
  return `${p.inputSize}px|m${p.normalization.mean.join(',')}s${p.normalization.std.join(',')}${extra}${interp}`;
}
