/**
 * Teachers whose runtime is asynchronous (ONNX Runtime) extend Teacher with forwardAsync. Code that runs any
 * teacher (the cache, `embed`) calls {@link forwardTeacher}, which uses forwardAsync when present and the
 * synchronous forward otherwise, so existing Teacher implementations keep working unchanged. Built-in teachers
 * created with `lazy: true` are DeferredTeachers, loaded by forwardTeacher on first use.
 */
import type { tf } from '../backend/index.js';
import type { Teacher, TeacherOutput } from './types.js';

export interface AsyncTeacher extends Teacher {
  forwardAsync(images: tf.Tensor4D): Promise<TeacherOutput>;
}

export function isAsyncTeacher(teacher: Teacher): teacher is AsyncTeacher {
  return typeof (teacher as Partial<AsyncTeacher>).forwardAsync === 'function';
}

/**
 * A teacher whose weights load on first use: its id, input size and token grid are known from the spec, so a
 * run served entirely from the cache never loads (or decodes) the model.
 */
export interface DeferredTeacher extends Teacher {
  readonly loaded: boolean;
  load(): Promise<void>;
}

export function isDeferredTeacher(teacher: Teacher): teacher is DeferredTeacher {
  return typeof (teacher as Partial<DeferredTeacher>).load === 'function' && 'loaded' in teacher;
}

/** Runs any teacher (loading a deferred one first); the caller owns (and disposes) the returned tensors. */
export async function forwardTeacher(teacher: Teacher, images: tf.Tensor4D): Promise<TeacherOutput> {
  if (isDeferredTeacher(teacher) && !teacher.loaded) await teacher.load();
  return isAsyncTeacher(teacher) ? teacher.forwardAsync(images) : teacher.forward(images);
}
