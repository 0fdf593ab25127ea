/**
 * Export format `onnx`: student.onnx converted from the TF.js student and checked against it with onnxruntime-node,
 * and with `--quantize int8` student.int8.onnx (implementation: ../onnx-export.ts).
 */
import type { ExportFormatEntry } from '../formats.js';
import type { OnnxExportReport } from '../onnx-export.js';

export const onnxFormat: ExportFormatEntry = {
  name: 'onnx',
  summary: 'student.onnx, checked against TF.js with onnxruntime-node',
  quantize: ['int8'],
  async write(ctx) {
    const { addOnnxForms } = await import('../onnx-export.js');
    ctx.onStage('writing the ONNX student and checking it against TF.js with onnxruntime-node…');
    return addOnnxForms(ctx.dir, ctx.checkImages, { quantize: ctx.quantize === 'int8' ? 'int8' : undefined, timing: ctx.timing, onStage: ctx.onStage });
  },
  describe(report) {
    const onnx = report as OnnxExportReport;
    return [
      `student.onnx ${(onnx.onnxBytes / 1024).toFixed(1)} KB: onnxruntime-node matches TF.js on ${onnx.images} images (max |diff| ${onnx.maxAbsDiff.toExponential(1)}, output scale ${onnx.scale.toPrecision(3)})`,
      ...(onnx.int8 ? [`student.int8.onnx ${(onnx.int8.bytes / 1024).toFixed(1)} KB (${Math.round((100 * onnx.int8.bytes) / onnx.onnxBytes)}% of fp32); pooled cosine to fp32 min ${onnx.int8.minCosine.toFixed(4)}, mean ${onnx.int8.meanCosine.toFixed(4)}`
        + (onnx.int8.int8MsPerImage !== undefined ? `; onnxruntime-node ${onnx.int8.int8MsPerImage.toFixed(2)} ms/image vs fp32 ${onnx.int8.fp32MsPerImage!.toFixed(2)} (${(onnx.int8.fp32MsPerImage! / onnx.int8.int8MsPerImage).toFixed(2)}x)` : '')] : []),
    ];
  },
};
