/** Teacher kind `inception`: the default teacher, InceptionV3 cut at mixed5 (implementation: ../nsfw.ts). */
import type { TeacherEntry } from '../registry.js';

export const inceptionTeacher: TeacherEntry = {
  kind: 'inception',
  usage: 'inception[:<layer>]',
  summary: 'InceptionV3 trunk bundled in nsfwjs@4.3.0, cut at mixed5 (768-d); the default teacher',
  async create(arg, opts) {
    const { createNsfwTeacher } = await import('../nsfw.js');
    return createNsfwTeacher('inception', { cut: opts.cut ?? (arg || undefined), inputSize: opts.inputSize ?? opts.teacher?.inputSize, grid: opts.grid, lazy: opts.lazy });
  },
};
