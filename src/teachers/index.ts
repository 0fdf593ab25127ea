/**
 * Teacher factory. Specs: 'inception[:<cut layer>]' (default), 'mobilenet[:<cut layer>]', 'random[:<seed>]',
 * 'tfjs:<model.json>', 'onnx:<model.onnx>'. Options override sizes, grid, cut/output and normalisation.
 */
import { UserError } from '../util/errors.js';
import { BUILTIN_TEACHERS, createNsfwTeacher, type BuiltinTeacherInfo, type BuiltinTeacherName } from './nsfw.js';
import { createRandomTeacher } from './random.js';
import { createTfjsTeacher } from './tfjsModel.js';
import { createOnnxTeacher } from './onnx.js';
import type { Normalization } from './features.js';
import { mergeTeacherOptions, parseModelSpec, type TeacherOptions } from './options.js';
import type { Teacher } from './types.js';

export type { Teacher, TeacherOutput } from './types.js';
export type { AsyncTeacher, DeferredTeacher } from './asyncTeacher.js';
export { forwardTeacher, isAsyncTeacher, isDeferredTeacher } from './asyncTeacher.js';
export { createRandomTeacher, type RandomTeacherOptions } from './random.js';
export { createNsfwTeacher, loadBuiltinTrunk, BUILTIN_TEACHERS, type BuiltinTeacherName } from './nsfw.js';
export { createTfjsTeacher } from './tfjsModel.js';
export { createOnnxTeacher } from './onnx.js';
export { IMAGENET_MEAN_STD, MINUS_ONE_TO_ONE, type Normalization } from './features.js';
export { mergeTeacherOptions, parseModelSpec, setTeacherOption, TEACHER_PRESETS, PRESET_NAMES, type TeacherOptions } from './options.js';

export const DEFAULT_TEACHER = 'inception';

export interface CreateTeacherOptions {
  /** Built-ins: layer to cut at (overrides a ':<cut>' in the spec). */
  cut?: string;
  /** tfjs: layer/node name; onnx: output name. */
  output?: string;
  inputSize?: number;
  /** Token grid side (T = grid^2), default 2. */
  grid?: number;
  normalization?: Normalization;
  /** random teacher only. */
  seed?: number;
  embedDim?: number;
  /** Built-ins: defer loading weights to the first forwardTeacher() (a run served from the cache never loads them). */
  lazy?: boolean;
  /**
   * Model-file teachers (tfjs, onnx): outputs, CLS/registers/patch grid, preprocessing, preset; over the spec's
   * '#key=value,...' options (these win).
   */
  teacher?: TeacherOptions;
}

/** Built-in teacher names with what they are, for `doctor` and help texts. */
export function listBuiltinTeachers(): BuiltinTeacherInfo[] {
  return Object.values(BUILTIN_TEACHERS);
}

const SPEC_HELP = "expected 'inception[:<layer>]', 'mobilenet[:<layer>]', 'random[:<seed>]', 'tfjs:<model.json>[#options]' or 'onnx:<model.onnx>[#options]' (options like preset=dinov2,output=last_hidden_state,registers=4)";

export async function createTeacher(spec: string = DEFAULT_TEACHER, opts: CreateTeacherOptions = {}): Promise<Teacher> {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'inception':
    case 'mobilenet':
      return createNsfwTeacher(kind as BuiltinTeacherName, { cut: opts.cut ?? (arg || undefined), inputSize: opts.inputSize ?? opts.teacher?.inputSize, grid: opts.grid, lazy: opts.lazy });
    case 'random': {
      const seed = arg ? Number(arg) : opts.seed ?? 0;
      if (!Number.isInteger(seed)) throw new UserError(`--teacher '${spec}': random seed must be an integer`);
      return createRandomTeacher({ seed, embedDim: opts.embedDim, grid: opts.grid, inputSize: opts.inputSize });
    }
    case 'tfjs':
    case 'onnx': {
      const { path, options } = parseModelSpec(arg, `--teacher '${spec}'`);
      if (!path) throw new UserError(`--teacher '${spec}': missing model path, ${SPEC_HELP}`);
      const teacher = mergeTeacherOptions(options, opts.teacher);
      const common = { output: opts.output, inputSize: opts.inputSize, grid: opts.grid, normalization: opts.normalization, teacher };
      return kind === 'tfjs' ? createTfjsTeacher(path, common) : createOnnxTeacher(path, common);
    }
    default:
      throw new UserError(`--teacher '${spec}': unknown teacher, ${SPEC_HELP}`);
  }
}
