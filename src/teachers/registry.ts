/**
 * Teacher kinds, one registry entry each: the spec prefix (`kind[:arg]`), how it is written, a one-line
 * summary, a check of the argument that loads nothing, and a constructor. The config check, `--teacher` help,
 * `tintem doctor` and docs/config.md read these entries. This module loads no TensorFlow: constructors import
 * their implementation lazily, so a bad spec fails before any data is read.
 */
import { DEFAULT_TEACHER } from '../config/defaults.js';
import { UserError } from '../util/errors.js';
import { createRegistry } from '../util/registry.js';
import { inceptionTeacher } from './entries/inception.js';
import { mobilenetTeacher } from './entries/mobilenet.js';
import { onnxTeacher } from './entries/onnx.js';
import { randomTeacher } from './entries/random.js';
import { tfjsTeacher } from './entries/tfjs.js';
import type { Normalization } from './normalization.js';
import { assertTeacherOptionsApply, type TeacherOptions } from './options.js';
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
  /** Precision of the teacher pass (default fp32); the kind's entry must list it in `precisions`. */
  precision?: 'fp32' | 'int8' | 'bf16';
  /** Where a quantised teacher keeps its model file and fidelity record (the cache's teacher-int8/ folder). */
  precisionDir?: string;
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
  /** Precisions this kind can run its forward pass at (default fp32 only). */
  precisions?: ReadonlyArray<'fp32' | 'int8' | 'bf16'>;
  create(arg: string, opts: CreateTeacherOptions): Promise<Teacher>;
}

/** Teacher kinds by their spec prefix (the shared registry keys entries by `name`: here, the kind). */
const kinds = createRegistry<{ name: string; entry: TeacherEntry }>('teacher kind');

export function registerTeacher(entry: TeacherEntry): TeacherEntry {
  kinds.register({ name: entry.kind, entry });
  return entry;
}

export function unregisterTeacher(kind: string): void {
  kinds.unregister(kind);
}

export function teacherEntries(): TeacherEntry[] {
  return kinds.entries().map((e) => e.entry);
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
  const entry = kinds.find(kind)?.entry;
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
  const precision = opts.precision ?? 'fp32';
  if (!(entry.precisions ?? ['fp32']).includes(precision)) {
    const able = teacherEntries().filter((e) => e.precisions?.includes(precision)).map((e) => e.kind);
    throw new UserError(`teacherPrecision '${precision}': the ${entry.kind} teacher runs in ${(entry.precisions ?? ['fp32']).join(' or ')} only${able.length ? ` (${precision} is for ${able.join(', ')} teachers)` : ''}`);
  }
  assertTeacherOptionsApply(entry.kind, opts.teacher);
  return entry.create(arg, opts);
}

// Built-in teacher kinds, one file each under ./entries/ (their implementations are imported only when built).
registerTeacher(inceptionTeacher);
registerTeacher(mobilenetTeacher);
registerTeacher(randomTeacher);
registerTeacher(tfjsTeacher);
registerTeacher(onnxTeacher);
