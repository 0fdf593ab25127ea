/**
 * Teacher kinds, one registry entry each: the spec prefix (`kind[:arg]`), how it is written, a one-line
 * summary, a check of the argument that loads nothing, and a constructor. The config check, `--teacher` help,
 * `tintem doctor` and docs/config.md read these entries. This module loads no TensorFlow: constructors import
 * their implementation lazily, so a bad spec fails before any data is read.
 */
import { DEFAULT_TEACHER } from '../config/defaults.js';
import { UserError } from '../util/errors.js';
import type { Normalization } from './normalization.js';
import { assertTeacherOptionsApply, mergeTeacherOptions, parseModelSpec, type TeacherOptions } from './options.js';
import type { Teacher } from './types.js';

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

export interface TeacherEntry {
  /** The spec prefix: 'inception' in 'inception:mixed4'. */
  kind: string;
  /** How a spec of this kind is written, e.g. 'tfjs:<model.json>'. */
  usage: string;
  /** One line for help texts and the docs table. */
  summary: string;
  /** Checks the argument after ':' without loading anything: an error text, or undefined when it is fine. */
  check?(arg: string): string | undefined;
  create(arg: string, opts: CreateTeacherOptions): Promise<Teacher>;
}

const entries = new Map<string, TeacherEntry>();

export function registerTeacher(entry: TeacherEntry): TeacherEntry {
  if (!/^[a-z][a-z0-9-]*$/.test(entry.kind)) throw new Error(`registerTeacher: kind '${entry.kind}' must be lower-case letters, digits and '-'`);
  if (entries.has(entry.kind)) throw new Error(`registerTeacher: teacher kind '${entry.kind}' is already registered`);
  entries.set(entry.kind, entry);
  return entry;
}

export function unregisterTeacher(kind: string): void {
  entries.delete(kind);
}

export function teacherEntries(): TeacherEntry[] {
  return [...entries.values()];
}

/** "expected 'inception[:<layer>]', ... or 'onnx:<model.onnx>'" */
export function teacherSpecHelp(): string {
  const usages = teacherEntries().map((e) => `'${e.usage}'`);
  return `expected ${usages.slice(0, -1).join(', ')}${usages.length > 1 ? ' or ' : ''}${usages.at(-1) ?? ''}`;
}

/** Splits and checks a teacher spec (loads nothing); `where` names the option in the error. */
export function parseTeacherSpec(spec: string, where = '--teacher'): { entry: TeacherEntry; arg: string } {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  const entry = entries.get(kind);
  if (!entry) throw new UserError(`${where} '${spec}': unknown teacher, ${teacherSpecHelp()}`);
  const problem = entry.check?.(arg);
  if (problem) throw new UserError(`${where} '${spec}': ${problem}`);
  return { entry, arg };
}

/** The error text for a bad spec, or undefined (for schema refinements). */
export function teacherSpecProblem(spec: string): string | undefined {
  try {
    parseTeacherSpec(spec, 'teacher');
    return undefined;
  } catch (e) {
    if (e instanceof UserError) return e.message.replace(/^teacher '[^']*': /, '');
    throw e;
  }
}

export async function createTeacher(spec: string = DEFAULT_TEACHER, opts: CreateTeacherOptions = {}): Promise<Teacher> {
  const { entry, arg } = parseTeacherSpec(spec);
  assertTeacherOptionsApply(entry.kind, opts.teacher);
  return entry.create(arg, opts);
}

// ---------------------------------------------------------------------------------------------------------
// Built-in teacher kinds. Each implementation file is imported only when the teacher is built.

/** 'path[#key=value,...]': the path must be there and the options must parse (loads nothing). */
function checkModelSpec(arg: string): string | undefined {
  try {
    if (!parseModelSpec(arg, 'teacher').path) return `missing model path, ${teacherSpecHelp()}`;
  } catch (e) {
    if (e instanceof UserError) return e.message.replace(/^teacher: /, '');
    throw e;
  }
  return undefined;
}

/** Builds a model-file teacher: the spec's '#options' under the caller's `teacher` options. */
function modelFileOptions(arg: string, opts: CreateTeacherOptions, spec: string) {
  const { path, options } = parseModelSpec(arg, `--teacher '${spec}'`);
  const teacher = mergeTeacherOptions(options, opts.teacher);
  return { path, common: { output: opts.output, inputSize: opts.inputSize, grid: opts.grid, normalization: opts.normalization, teacher } };
}

registerTeacher({
  kind: 'inception',
  usage: 'inception[:<layer>]',
  summary: 'InceptionV3 trunk bundled in nsfwjs@4.3.0, cut at mixed5 (768-d); the default teacher',
  async create(arg, opts) {
    const { createNsfwTeacher } = await import('./nsfw.js');
    return createNsfwTeacher('inception', { cut: opts.cut ?? (arg || undefined), inputSize: opts.inputSize ?? opts.teacher?.inputSize, grid: opts.grid, lazy: opts.lazy });
  },
});

registerTeacher({
  kind: 'mobilenet',
  usage: 'mobilenet[:<layer>]',
  summary: 'MobileNetV2 trunk bundled in nsfwjs@4.3.0, cut at block_13_expand_relu (576-d); fast',
  async create(arg, opts) {
    const { createNsfwTeacher } = await import('./nsfw.js');
    return createNsfwTeacher('mobilenet', { cut: opts.cut ?? (arg || undefined), inputSize: opts.inputSize ?? opts.teacher?.inputSize, grid: opts.grid, lazy: opts.lazy });
  },
});

registerTeacher({
  kind: 'random',
  usage: 'random[:<seed>]',
  summary: 'tiny random-init network (tests and smoke runs)',
  check: (arg) => (arg === '' || Number.isInteger(Number(arg)) ? undefined : 'random seed must be an integer'),
  async create(arg, opts) {
    const { createRandomTeacher } = await import('./random.js');
    return createRandomTeacher({ seed: arg ? Number(arg) : opts.seed ?? 0, embedDim: opts.embedDim, grid: opts.grid, inputSize: opts.inputSize });
  },
});

registerTeacher({
  kind: 'tfjs',
  usage: 'tfjs:<model.json>[#options]',
  summary: "any TF.js Layers or Graph model; '#options' like preset=dinov2,output=...,registers=4 (docs/teachers.md)",
  check: checkModelSpec,
  async create(arg, opts) {
    const { createTfjsTeacher } = await import('./tfjsModel.js');
    const { path, common } = modelFileOptions(arg, opts, `tfjs:${arg}`);
    return createTfjsTeacher(path, common);
  },
});

registerTeacher({
  kind: 'onnx',
  usage: 'onnx:<model.onnx>[#options]',
  summary: "any ONNX image model, run with onnxruntime-node; '#options' as for tfjs (docs/teachers.md)",
  check: checkModelSpec,
  async create(arg, opts) {
    const { createOnnxTeacher } = await import('./onnx.js');
    const { path, common } = modelFileOptions(arg, opts, `onnx:${arg}`);
    return createOnnxTeacher(path, common);
  },
});
