import type { Command } from 'commander';
import { exportFormatEntries, exportFormatHelp, quantizeChoices, resolveExportFormats } from '../../export/formats.js';
import { UserError } from '../../util/errors.js';
import { intArg as int, numberArg as num } from '../options.js';

export function register(program: Command): void {
  program
    .command('export')
    .description(`export a run's student in ${exportFormatEntries().map((e) => e.name).join(' and/or ')} form with tintem.json (+ gallery.json for the web page)`)
    .requiredOption('--run <runDir>', 'finished training run folder (written by tintem distill)')
    .requiredOption('--out <dir>', 'export folder to write')
    .option('--format <form>', exportFormatHelp(), 'all')
    .option('--quantize <type>', `${quantizeChoices().join(' | ')}: also write the quantised variant (${exportFormatEntries().filter((e) => e.quantize?.length).map((e) => `${e.name}: ${e.quantize!.join(', ')}`).join('; ')}; int8 ONNX: student.int8.onnx, static QDQ, per-channel int8 weights, activations calibrated on the gallery images)`)
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
      const chosen = resolveExportFormats(o.format, o.quantize);
      // Loaded on use, so `tintem --help` does not pay for TensorFlow.js and sharp.
      const [{ initBackend }, { exportRun }] = await Promise.all([import('../../backend/index.js'), import('../../export/export-run.js')]);
      await initBackend();
      const { meta, gallery, gallerySpec, reports } = await exportRun({
        runDir: o.run, outDir: o.out, format: o.format, quantize: o.quantize, timing: true, withTokens: o.withTokens, gallery: o.gallery, gallerySize: o.gallerySize, seed: o.seed,
        teacherId: o.teacher, method: o.method, oodK: o.oodK, oodThreshold: o.oodThreshold, strict: o.strict,
      });
      const kb = Object.values(meta.files).reduce((s, f) => s + f.bytes, 0) / 1024;
      const lines = [
        `exported ${meta.method} student (teacher ${meta.teacher.id}) to ${o.out}`,
        `  input ${meta.inputSize}x${meta.inputSize}x${meta.channels} -> ${meta.outputs.join(' + ')} (d=${meta.embedDim}); files ${kb.toFixed(1)} KB`,
        ...chosen.flatMap((e) => (e.describe && e.name in reports ? e.describe(reports[e.name]).map((line) => `  ${line}`) : [])),
        meta.ood?.threshold !== undefined ? `  scorecard kNN OOD threshold ${meta.ood.threshold.toFixed(4)} (k=${meta.ood.k})` : '',
        gallery ? `  gallery: ${gallery.count} images of ${gallerySpec}; calibrated OOD threshold ${gallery.calibration.threshold.toFixed(4)} at ${Math.round(gallery.calibration.tpr * 100)}% ID TPR (k=${gallery.calibration.k}) on ${gallery.calibration.images} ${gallery.calibration.method} images` : '  no gallery',
        `  try it: tintem serve --model ${o.out}`,
      ];
      process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);
    });
}
