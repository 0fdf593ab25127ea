import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';
import { intArg as int, numberArg as num } from '../options.js';

export function register(program: Command): void {
  program
    .command('export')
    .description('export a run\'s student as a TF.js LayersModel and/or ONNX (+ int8) with tintem.json (+ gallery.json for the web page)')
    .requiredOption('--run <runDir>', 'finished training run folder (written by tintem distill)')
    .requiredOption('--out <dir>', 'export folder to write')
    .option('--format <form>', 'tfjs | onnx | all: which model files to write (ONNX is checked against TF.js with onnxruntime-node)', 'all')
    .option('--quantize <type>', 'int8: also write student.int8.onnx (static QDQ, per-channel int8 weights, activations calibrated on the gallery images)')
    .option('--with-tokens', 'keep the token-map output (default: pooled embedding only)', false)
    .option('--gallery <dataset>', 'gallery images: a dataset spec (default: the test split of the run\'s training data)')
    .option('--gallery-size <n>', 'gallery images (0 = no gallery)', int('--gallery-size', 0), 300)
    .option('--seed <n>', 'seed for the gallery sample', int('--seed', 0), 0)
    .option('--teacher <id>', "teacher id to record instead of the run's")
    .option('--method <name>', "method name to record instead of the run's")
    .option('--ood-k <k>', 'neighbour rank of the kNN OOD score', int('--ood-k', 1))
    .option('--ood-threshold <x>', 'kNN OOD threshold (a kNN distance, 0..2) to record; the gallery calibrates its own', num('--ood-threshold'))
    .option('--strict', 'image-folder galleries: stop at the first unreadable file instead of skipping it')
    .action(async (o: { run: string; out: string; format: string; quantize?: string; withTokens: boolean; gallery?: string; gallerySize: number; seed: number; teacher?: string; method?: string; oodK?: number; oodThreshold?: number; strict?: boolean }) => {
      if (o.gallerySize === 1) throw new UserError('--gallery-size: expected 0 (no gallery) or at least 2');
      if (!['tfjs', 'onnx', 'all'].includes(o.format)) throw new UserError(`--format: expected tfjs, onnx or all, got '${o.format.slice(0, 40)}'`);
      if (o.quantize !== undefined && o.quantize !== 'int8') throw new UserError(`--quantize: expected int8, got '${o.quantize.slice(0, 40)}'`);
      if (o.quantize && o.format === 'tfjs') throw new UserError('--quantize int8 writes an ONNX file: use it with --format onnx or all');
      // Loaded on use, so `tintem --help` does not pay for TensorFlow.js and sharp.
      const [{ initBackend }, { exportRun }] = await Promise.all([import('../../backend/index.js'), import('../../export/export-run.js')]);
      await initBackend();
      const { meta, gallery, gallerySpec, onnx } = await exportRun({
        runDir: o.run, outDir: o.out, format: o.format as 'tfjs' | 'onnx' | 'all', quantize: o.quantize as 'int8' | undefined, timing: true, withTokens: o.withTokens, gallery: o.gallery, gallerySize: o.gallerySize, seed: o.seed,
        teacherId: o.teacher, method: o.method, oodK: o.oodK, oodThreshold: o.oodThreshold, strict: o.strict,
      });
      const kb = Object.values(meta.files).reduce((s, f) => s + f.bytes, 0) / 1024;
      const lines = [
        `exported ${meta.method} student (teacher ${meta.teacher.id}) to ${o.out}`,
        `  input ${meta.inputSize}x${meta.inputSize}x${meta.channels} -> ${meta.outputs.join(' + ')} (d=${meta.embedDim}); files ${kb.toFixed(1)} KB`,
        onnx ? `  student.onnx ${(onnx.onnxBytes / 1024).toFixed(1)} KB: onnxruntime-node matches TF.js on ${onnx.images} images (max |diff| ${onnx.maxAbsDiff.toExponential(1)}, output scale ${onnx.scale.toPrecision(3)})` : '',
        onnx?.int8 ? `  student.int8.onnx ${(onnx.int8.bytes / 1024).toFixed(1)} KB (${Math.round((100 * onnx.int8.bytes) / onnx.onnxBytes)}% of fp32); pooled cosine to fp32 min ${onnx.int8.minCosine.toFixed(4)}, mean ${onnx.int8.meanCosine.toFixed(4)}`
          + (onnx.int8.int8MsPerImage !== undefined ? `; onnxruntime-node ${onnx.int8.int8MsPerImage.toFixed(2)} ms/image vs fp32 ${onnx.int8.fp32MsPerImage!.toFixed(2)} (${(onnx.int8.fp32MsPerImage! / onnx.int8.int8MsPerImage).toFixed(2)}x)` : '') : '',
        meta.ood?.threshold !== undefined ? `  scorecard kNN OOD threshold ${meta.ood.threshold.toFixed(4)} (k=${meta.ood.k})` : '',
        gallery ? `  gallery: ${gallery.count} images of ${gallerySpec}; calibrated OOD threshold ${gallery.calibration.threshold.toFixed(4)} at ${Math.round(gallery.calibration.tpr * 100)}% ID TPR (k=${gallery.calibration.k}) on ${gallery.calibration.images} ${gallery.calibration.method} images` : '  no gallery',
        `  try it: tintem serve --model ${o.out}`,
      ];
      process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);
    });
}
