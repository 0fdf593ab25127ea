/** A small synthetic ReportData with every section filled, for the report tests (seeded, no files). */
import { Rng } from '../../src/util/random.js';
import type { CurvePoint, PixelImage, ReportData } from '../../src/report/types.js';

const STUDENTS = ['tintem', 'proteus'] as const;

function image(rng: Rng, size: number, channels: 1 | 3): PixelImage {
  const pixels = new Float32Array(size * size * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.next();
  return { width: size, height: size, channels, pixels };
}

export function syntheticReportData(seed = 1): ReportData {
  const rng = new Rng(seed);
  const curves: Record<string, CurvePoint[]> = {};
  for (const method of STUDENTS) {
    curves[method] = Array.from({ length: 60 }, (_, step) => ({
      step,
      epoch: step / 20,
      lr: 1e-3 * Math.min(1, (step + 1) / 10),
      terms: (method === 'tintem'
          ? { head_global: 2 * Math.exp(-step / 20) + 0.05 * rng.next(), student_pooled: Math.exp(-step / 30), student_tokens: step === 5 ? NaN : 1.2 * Math.exp(-step / 25) }
          : { student_pooled: 0.9 * Math.exp(-step / 25), student_tokens: Math.exp(-step / 25) }) as Record<string, number>,
    }));
  }

  // ROC: a concave curve per model with a different bow.
  const roc = (bow: number): { fpr: number[]; tpr: number[]; auroc: number } => {
    const fpr = Array.from({ length: 41 }, (_, i) => i / 40);
    return { fpr, tpr: fpr.map((f) => f ** bow), auroc: 1 / (bow + 1) };
  };

  const sev = [0, 1, 2, 3, 4, 5];
  const series = (base: number, slope: number) => sev.map((s) => base - slope * s);
  const corruptions = ['mean', 'gaussian_noise', 'blur', 'contrast'].map((name, ci) => ({
    name,
    models: {
      teacher: { accuracy: series(0.9, 0.05 + 0.01 * ci) },
      tintem: { accuracy: series(0.85, 0.06 + 0.01 * ci), agreement: series(0.95, 0.05) },
      proteus: { accuracy: series(0.84, 0.07 + 0.01 * ci), agreement: [...series(0.93, 0.06).slice(0, 5), NaN] },
    },
  }));

  // Pairwise cosines: students follow the teacher with different noise.
  const teacherCos = Array.from({ length: 400 }, () => rng.uniform(-0.2, 1));
  const similarity = [
    // Cosines stay in [-1, 1], as real ones do (the report schema checks it).
    { model: 'tintem', teacherCos, studentCos: Float32Array.from(teacherCos, (t) => Math.max(-1, Math.min(1, t + 0.05 * rng.normal()))) },
    { model: 'proteus', teacherCos, studentCos: teacherCos.map((t) => Math.max(-1, Math.min(1, 0.7 * t + 0.15 * rng.normal()))) },
  ];

  // 2-D maps: 3 clusters in 16-D for 60 points.
  const n = 60, labels = Array.from({ length: n }, (_, i) => i % 3);
  const centres = [0, 1, 2].map(() => Array.from({ length: 16 }, () => 3 * rng.normal()));
  const emb = (noise: number, dim: number) => labels.map((l) => Float32Array.from({ length: dim }, (_, j) => centres[l]![j % 16]! + noise * rng.normal()));

  const queries = [0, 1].map((q) => ({
    image: image(rng, 12, 1),
    label: q,
    neighbours: Object.fromEntries(
      ['teacher', ...STUDENTS].map((id) => [id, [0, 1, 2].map((k) => ({ image: image(rng, 12, 1), label: k === 2 ? 1 - q : q, similarity: 0.9 - 0.1 * k }))]),
    ),
  }));

  return {
    version: 1,
    title: 'Synthetic tintem report',
    createdAt: '2025-01-02T03:04:05.000Z',
    tintemVersion: '0.1.0',
    backend: 'tensorflow',
    config: { seed, data: { train: 'mnist', n: 600 }, student: { arch: 'vit-tiny', dim: 64 }, train: { steps: 60, lr: 1e-3, taus: [0.01, 0.05, 0.1] } },
    models: [
      { id: 'teacher', label: 'teacher (mixed5)', role: 'teacher', params: 1_234_567 },
      { id: 'tintem', role: 'student', method: 'tintem', params: 45_000 },
      { id: 'proteus', role: 'student', method: 'proteus', params: 44_000 },
    ],
    curves,
    scorecard: {
      sections: [
        {
          name: 'quality',
          rows: [
            { metric: 'kNN top-1', higherIsBetter: true, format: 'percent', cells: { teacher: { value: 0.91, lo: 0.89, hi: 0.93 }, tintem: { value: 0.88, lo: 0.86, hi: 0.9 }, proteus: { value: 0.86, lo: 0.84, hi: 0.88 } } },
            { metric: 'linear probe', higherIsBetter: true, cells: { teacher: { value: 0.93 }, tintem: { skipped: 'probe disabled' }, proteus: { value: NaN } } },
          ],
        },
        {
          name: 'similarity',
          rows: [{ metric: 'pairwise cos MSE', higherIsBetter: false, cells: { tintem: { value: 0.004, lo: 0.003, hi: 0.005 }, proteus: { value: 0.02, lo: 0.018, hi: 0.022 } } }],
        },
        { name: 'OOD: fashion', rows: [
          { metric: 'AUROC (kNN)', higherIsBetter: true, cells: { teacher: { value: 0.97 }, tintem: { value: 0.95 }, proteus: { value: 0.95 } } },
          // tintem beats proteus here, but 96% FPR is past chance (95%): a failure, never highlighted.
          { metric: 'FPR@95 (kNN)', higherIsBetter: false, format: 'percent', failAt: 0.95, cells: { teacher: { value: 0.4 }, tintem: { value: 0.96, lo: 0.95, hi: 0.97 }, proteus: { value: 1, lo: 1, hi: 1 } } },
          { metric: 'energy: AUROC', higherIsBetter: true, format: 'percent', failAt: 0.5, hidden: 'Energy reads the probe logits.', cells: { teacher: { value: 0.3 }, tintem: { value: 0.02 }, proteus: { value: 0.2 } } },
        ] },
      ],
    },
    verdict: {
      rule: 'Faithful: every figure is close to the teacher. Not faithful: any figure is far from it. Partly faithful: otherwise.',
      students: [
        { model: 'tintem', faithful: 'not', sentence: 'tintem agrees with the teacher on 95.0% of kNN predictions, with linear CKA 0.900.', figures: [
          { label: 'kNN agreement with the teacher', format: 'percent', value: 0.95, lo: 0.94, hi: 0.96, floor: 0.3, rating: 'close' },
          { label: 'Linear CKA to the teacher', format: 'decimal', value: 0.9, lo: 0.88, hi: 0.92 },
          { label: 'OOD AUROC, fashion (kNN score)', format: 'percent', value: 0.95, lo: 0.93, hi: 0.97, teacher: 0.97, gap: { value: -0.02, lo: -0.05, hi: 0.01 }, rating: 'close' },
          { label: 'Accuracy under corruption (mean)', format: 'percent', value: 0.7, teacher: 0.75, gap: { value: -0.05 }, rating: 'far' },
        ] },
        { model: 'proteus', sentence: 'proteus agrees with the teacher on 90.0% of kNN predictions, with linear CKA 0.800.', figures: [
          { label: 'kNN agreement with the teacher', format: 'percent', value: 0.9, lo: 0.88, hi: 0.92 },
          { label: 'Linear CKA to the teacher', format: 'decimal', value: null, missing: 'not computed' },
          { label: 'OOD AUROC, fashion (kNN score)', format: 'percent', value: 0.95, teacher: 0.97, gap: { value: -0.02 }, rating: 'close' },
          { label: 'Accuracy under corruption (mean)', format: 'percent', value: 0.68, teacher: 0.75, gap: { value: -0.07 }, rating: 'far' },
        ] },
      ],
    },
    roc: [
      { set: 'fashion', score: 'knn', models: { teacher: roc(0.1), tintem: roc(0.15), proteus: roc(0.3) } },
      { set: 'noise', score: 'knn', models: { teacher: roc(0.05), tintem: roc(0.08), proteus: roc(0.2) } },
    ],
    robustness: { corruptions },
    similarity,
    maps: {
      labels,
      labelNames: ['zero', 'one', 'two'],
      models: [
        { model: 'teacher', embeddings: emb(0.5, 32) },
        { model: 'tintem', embeddings: emb(0.7, 8) },
        { model: 'proteus', embeddings: emb(1.5, 8) },
      ],
    },
    neighbours: { labelNames: ['zero', 'one'], queries },
    notes: '**Where TinTeM wins:** similarity preservation.\n\n- ties on OOD\n- loses slightly on `linear probe` <script>alert(1)</script>',
  };
}
