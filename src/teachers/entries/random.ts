/** Teacher kind `random`: a tiny random-init network for tests (implementation: ../random.ts). */
import type { TeacherEntry } from '../registry.js';

export const randomTeacher: TeacherEntry = {
  kind: 'random',
  usage: 'random[:<seed>]',
  summary: 'tiny random-init network (tests and smoke runs)',
  check: (arg) => (arg === '' || Number.isInteger(Number(arg)) ? undefined : 'random seed must be an integer'),
  async create(arg, opts) {
    const { createRandomTeacher } = await import('../random.js');
    return createRandomTeacher({ seed: arg ? Number(arg) : opts.seed ?? 0, embedDim: opts.embedDim, grid: opts.grid, inputSize: opts.inputSize });
  },
};
