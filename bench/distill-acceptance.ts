/**
 * Acceptance check for `tintem distill` (issue 3): a default run on 5,000 MNIST training images with the fast
 * teacher ('mobilenet') must lower every loss term, and the student's kNN accuracy on the MNIST test set must
 * beat the same student untrained (same seed) by at least 20 points.
 *
 *   npx tsx bench/distill-acceptance.ts [--quick] [--limit 5000] [--test-limit 10000] [--epochs n] [--run-dir dir]
 *
 * Writes bench/results/distill-acceptance.json and prints a table. Default epochs come from the config (20).
 * --quick: 1,000 images, 3 epochs, 2,000 test
 * images (a smoke run; its thresholds are reported but not expected to hold).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tf, initBackend } from '../src/backend/index.js';
import { loadDistillConfig as loadConfig } from '../src/training/config.js';
import { loadDataset } from '../src/data/index.js';
import type { ImageSet } from '../src/data/types.js';
import { accuracy, knnClassify } from '../src/evaluation/knn.js';
import { createStudent } from '../src/students/index.js';
import { loadRunStudent, readRunLog } from '../src/training/run-folder.js';
import { runDistill } from '../src/experiment/distill.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const limit = Number(arg('--limit') ?? (quick ? 1000 : 5000));
const testLimit = Number(arg('--test-limit') ?? (quick ? 2000 : 10000));
const epochs = arg('--epochs') ? Number(arg('--epochs')) : quick ? 3 : undefined;
const runDir = resolve(arg('--run-dir') ?? join('runs', `acceptance-${quick ? 'quick' : 'full'}`));

/** Pooled embeddings of a whole image set, in batches. */
function embed(model: tf.LayersModel, set: ImageSet): Float32Array {
  const per = set.height * set.width * set.channels;
  const chunks: Float32Array[] = [];
  for (let s = 0; s < set.count; s += 500) {
    const e = Math.min(set.count, s + 500);
    const out = tf.tidy(() => {
      const x = tf.tensor4d(set.pixels.subarray(s * per, e * per), [e - s, set.height, set.width, set.channels]);
      const y = model.predict(x) as tf.Tensor[];
      return y[0]!;
    });
    chunks.push(out.dataSync() as Float32Array);
    out.dispose();
  }
  const dim = chunks[0]!.length / Math.min(500, set.count);
  const all = new Float32Array(set.count * dim);
  let o = 0;
  for (const c of chunks) { all.set(c, o); o += c.length; }
  return all;
}

function knnAccuracy(model: tf.LayersModel, train: ImageSet, test: ImageSet): number {
  const bank = embed(model, train), queries = embed(model, test);
  const dim = bank.length / train.count;
  const r = knnClassify({ data: bank, count: train.count, dim }, train.labels!, { data: queries, count: test.count, dim }, { k: 20 });
  return accuracy(r.predictions, test.labels!);
}

await initBackend();
rmSync(runDir, { recursive: true, force: true });
const config = await loadConfig(undefined, {
  values: { teacher: 'mobilenet', 'data.train': 'mnist:train', 'data.limit': limit, runDir, epochs, progress: false },
});
const started = performance.now();
const run = await runDistill(config);
const seconds = (performance.now() - started) / 1000;
const summary = run.summary!;

// "Lowers every loss term": last-epoch mean below both the first epoch's mean and the first step's value.
const firstStep = readRunLog(runDir, summary)[0]!.terms;
const terms = Object.keys(summary.finalTerms).map((k) => ({
  term: k, firstStep: firstStep[k]!, firstEpoch: summary.firstEpochTerms[k]!, lastEpoch: summary.finalTerms[k]!,
  lowered: summary.finalTerms[k]! < summary.firstEpochTerms[k]! && summary.finalTerms[k]! < firstStep[k]!,
}));

const train = await loadDataset('mnist:train', { limit });
const test = await loadDataset('mnist:test', { limit: testLimit });
const trained = await loadRunStudent(runDir, summary);
// The same architecture and seed as the trained student, before any training.
const untrained = createStudent(summary.student.spec, config.seed);
const accTrained = knnAccuracy(trained, train, test);
const accUntrained = knnAccuracy(untrained.model, train, test);
trained.dispose();
untrained.dispose();

const gain = 100 * (accTrained - accUntrained);
const pass = terms.every((t) => t.lowered) && gain >= 20;
const result = {
  quick, limit, testLimit, epochs: config.epochs, batchSize: config.batchSize, lr: config.lr, teacher: summary.teacher.id,
  seconds, trainSeconds: summary.trainSeconds, imagesPerSec: summary.imagesPerSec, terms,
  knn: { k: 20, trained: accTrained, untrained: accUntrained, gainPoints: gain }, pass,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/distill-acceptance.json', `${JSON.stringify(result, null, 2)}\n`);

const rows = terms.map((t) => `${t.term.padEnd(14)} ${t.firstStep.toFixed(5).padStart(10)} ${t.firstEpoch.toFixed(5).padStart(11)} ${t.lastEpoch.toFixed(5).padStart(10)}  ${t.lowered ? 'yes' : 'NO'}`);
process.stdout.write([
  `distill acceptance: ${limit} MNIST images, teacher ${summary.teacher.id}, ${config.epochs} epochs (${seconds.toFixed(0)} s)`,
  `${'term'.padEnd(14)} ${'first step'.padStart(10)} ${'first epoch'.padStart(11)} ${'last epoch'.padStart(10)}  lowered`,
  ...rows,
  `kNN (k=20) on ${test.count} MNIST test images: trained ${(100 * accTrained).toFixed(2)}%, untrained ${(100 * accUntrained).toFixed(2)}%, gain ${gain.toFixed(2)} points (need >= 20)`,
  `result: ${pass ? 'PASS' : 'FAIL'}`,
  '',
].join('\n'));
