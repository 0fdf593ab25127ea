/**
 * Teachers. Specs: 'inception[:<cut layer>]' (default), 'mobilenet[:<cut layer>]', 'random[:<seed>]',
 * 'tfjs:<model.json>', 'onnx:<model.onnx>' (one registry entry each, see registry.ts). Options override sizes,
 * grid, cut/output and normalisation.
 */
import { BUILTIN_TEACHERS, type BuiltinTeacherInfo } from './nsfw.js';

export {
  createTeacher, registerTeacher, unregisterTeacher, teacherEntries, parseTeacherSpec, teacherSpecProblem, teacherSpecHelp,
  type CreateTeacherOptions, type TeacherEntry,
} from './registry.js';
export { DEFAULT_TEACHER } from '../config/defaults.js';
export type { Teacher, TeacherOutput } from './types.js';
export type { AsyncTeacher, DeferredTeacher } from './asyncTeacher.js';
export { forwardTeacher, isAsyncTeacher, isDeferredTeacher } from './asyncTeacher.js';
export { createRandomTeacher, type RandomTeacherOptions } from './random.js';
export { createNsfwTeacher, loadBuiltinTrunk, BUILTIN_TEACHERS, type BuiltinTeacherName } from './nsfw.js';
export { createTfjsTeacher } from './tfjsModel.js';
export { createOnnxTeacher } from './onnx.js';
export { IMAGENET_MEAN_STD, MINUS_ONE_TO_ONE, type Normalization } from './features.js';
export { mergeTeacherOptions, parseModelSpec, setTeacherOption, TEACHER_PRESETS, PRESET_NAMES, type TeacherOptions } from './options.js';

/** Built-in teacher names with what they are, for `doctor` and help texts. */
export function listBuiltinTeachers(): BuiltinTeacherInfo[] {
  return Object.values(BUILTIN_TEACHERS);
}
