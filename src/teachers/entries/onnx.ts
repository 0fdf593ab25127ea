/** Teacher kind `onnx`: any ONNX image model (implementation: ../onnx.ts). */
import type { TeacherEntry } from '../registry.js';
import { checkModelSpec, modelFileOptions } from './model-file.js';

export const onnxTeacher: TeacherEntry = {
  kind: 'onnx',
  usage: 'onnx:<model.onnx>[#options]',
  summary: "any ONNX image model, run with onnxruntime-node; '#options' as for tfjs (docs/teachers.md)",
  check: checkModelSpec,
  precisions: ['fp32', 'int8'],
  async create(arg, opts) {
    const { createOnnxTeacher } = await import('../onnx.js');
    const { path, common } = modelFileOptions(arg, opts, `onnx:${arg}`);
    return createOnnxTeacher(path, { ...common, precision: opts.precision === 'int8' ? 'int8' : undefined, int8Dir: opts.precisionDir });
  },
};
