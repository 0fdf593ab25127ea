/** What the model-file teachers (tfjs, onnx) share: the spec check and the options merge. Loads no TensorFlow. */
import { UserError } from '../../util/errors.js';
import { mergeTeacherOptions, parseModelSpec } from '../options.js';
import { teacherSpecHelp, type CreateTeacherOptions } from '../registry.js';

/** 'path[#key=value,...]': the path must be there and the options must parse (loads nothing). */
export function checkModelSpec(arg: string): string | undefined {
  try {
    if (!parseModelSpec(arg, 'teacher').path) return `missing model path, ${teacherSpecHelp()}`;
  } catch (e) {
    if (e instanceof UserError) return e.message.replace(/^teacher: /, '');
    throw e;
  }
  return undefined;
}

/** Builds a model-file teacher: the spec's '#options' under the caller's `teacher` options. */
export function modelFileOptions(arg: string, opts: CreateTeacherOptions, spec: string) {
  const { path, options } = parseModelSpec(arg, `--teacher '${spec}'`);
  const teacher = mergeTeacherOptions(options, opts.teacher);
  return { path, common: { output: opts.output, inputSize: opts.inputSize, grid: opts.grid, normalization: opts.normalization, teacher } };
}
