/** Teacher kind `mobilenet`: MobileNetV2 cut at block_13_expand_relu (implementation: ../nsfw.ts). */
import type { TeacherEntry } from '../registry.js';

export const mobilenetTeacher: TeacherEntry = {
  kind: 'mobilenet',
  usage: 'mobilenet[:<layer>]',
  summary: 'MobileNetV2 trunk bundled in nsfwjs@4.3.0, cut at block_13_expand_relu (576-d); fast',
  async create(arg, opts) {
    const { createNsfwTeacher } = await import('../nsfw.js');
    return createNsfwTeacher('mobilenet', { cut: opts.cut ?? (arg || undefined), inputSize: opts.inputSize ?? opts.teacher?.inputSize, grid: opts.grid, lazy: opts.lazy });
  },
};
