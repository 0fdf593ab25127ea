/** Teacher kind `tfjs`: any TF.js model file (implementation: ../tfjsModel.ts). */
import type { TeacherEntry } from '../registry.js';
import { checkModelSpec, modelFileOptions } from './model-file.js';

export const tfjsTeacher: TeacherEntry = {
  kind: 'tfjs',
  usage: 'tfjs:<model.json>[#options]',
  summary: "any TF.js Layers or Graph model; '#options' like preset=dinov2,output=...,registers=4 (docs/teachers.md)",
  check: checkModelSpec,
  async create(arg, opts) {
    const { createTfjsTeacher } = await import('../tfjsModel.js');
    const { path, common } = modelFileOptions(arg, opts, `tfjs:${arg}`);
    return createTfjsTeacher(path, common);
  },
};
