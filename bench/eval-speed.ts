/**
 * Evaluation speed: kNN, linear probe, CKA, mutual kNN and OOD scoring on synthetic clustered embeddings
 * (10k test + 60k bank, dims 64 and 768), plus one end-to-end evaluateFaithfulness (teacher 768-d, student
 * 64-d, one 10k OOD set) against the one-minute target. A naive plain-JS kNN (loops + insertion top-k) is
 * timed in the same run on a slice of the queries, for a per-query ratio.
 *
 *   npx tsx bench/eval-speed.ts           # full sizes (lead runs on a quiet machine)
 *   npx tsx bench/eval-speed.ts --quick   # smoke run with small sizes
 *
 * Writes bench/results/eval-speed.json. Times are medians over repeats (wall clock, ms).
 */
import { initBackend, tf } from '../src/backend/index.js';
import { evaluateFaithfulness } from '../src/evaluation/scorecard.js';
import { knnClassify } from '../src/evaluation/knn.js';
import { trainLinearProbe } from '../src/evaluation/probe.js';
import { linearCka, mutualKnn } from '../src/evaluation/similarity.js';
import { fitMahalanobis, knnOodScores } from '../src/evaluation/ood-scores.js';
import { auroc, aupr, fprAtTpr } from '../src/evaluation/ood-metrics.js';
import type { Embeddings } from '../src/evaluation/types.js';
import { writeFileAtomicSync } from '../src/util/atomic.js';
import { Rng } from '../src/util/random.js';

const quick = process.argv.includes('--quick');
const sizes = quick
  ? { bank: 3000, test: 600, ood: 600, dims: [64, 256], repeats: 3, naiveQueries: 50 }
  : { bank: 60000, test: 10000, ood: 10000, dims: [64, 768], repeats: 3, naiveQueries: 200 };
const CLASSES = 10;
const TARGET_S = 60;

/** Clustered embeddings: class centres N(0, 1), points centre + N(0, noise^2); OOD uses its own centres. */
function clustered(rng: Rng, n: number, d: number, centres: Float32Array, noise: number): { x: Embeddings; y: Int32Array } {
  const k = centres.length / d;
  const y = Int32Array.from({ length: n }, () => rng.int(k));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = y[i]! * d;
    for (let j = 0; j < d; j++) data[i * d + j] = centres[c + j]! + noise * rng.normal();
  }
  return { x: { data, count: n, dim: d }, y };
}

function dataset(seed: number, d: number) {
  const rng = new Rng(seed);
  const centres = Float32Array.from({ length: CLASSES * d }, () => rng.normal());
  const oodCentres = Float32Array.from({ length: 3 * d }, () => rng.normal());
  const noise = 1.2;
  return {
    bank: clustered(rng, sizes.bank, d, centres, noise),
    test: clustered(rng, sizes.test, d, centres, noise),
    ood: clustered(rng, sizes.ood, d, oodCentres, noise).x,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function timeIt(repeats: number, fn: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The peer: plain-JS cosine kNN with an insertion-sorted top-k and the same exp(sim/T) vote. */
function naiveKnn(bank: Embeddings, labels: Int32Array, queries: Embeddings, count: number, k = 20, T = 0.07): Int32Array {
  const d = bank.dim;
  const norm = (e: Embeddings) => {
    const out = new Float32Array(e.data.length);
    for (let i = 0; i < e.count; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += e.data[i * d + j]! ** 2;
      const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
      for (let j = 0; j < d; j++) out[i * d + j] = e.data[i * d + j]! * inv;
    }
    return out;
  };
  const b = norm(bank), q = norm({ ...queries, data: queries.data.subarray(0, count * d), count });
  const preds = new Int32Array(count);
  const topS = new Float64Array(k), topI = new Int32Array(k), votes = new Float64Array(CLASSES);
  for (let i = 0; i < count; i++) {
    topS.fill(-Infinity);
    for (let r = 0; r < bank.count; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += q[i * d + j]! * b[r * d + j]!;
      if (s <= topS[k - 1]!) continue;
      let p = k - 1;
      while (p > 0 && topS[p - 1]! < s) { topS[p] = topS[p - 1]!; topI[p] = topI[p - 1]!; p--; }
      topS[p] = s; topI[p] = r;
    }
    votes.fill(0);
    for (let t = 0; t < k; t++) votes[labels[topI[t]!]!]! += Math.exp(topS[t]! / T);
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (votes[c]! > votes[best]!) best = c;
    preds[i] = best;
  }
  return preds;
}

interface Row { dim: number; stage: string; medianMs: number; note?: string }

async function main(): Promise<void> {
  // As `tintem eval` does: oneDNN kernels for the large matrix products.
  const backend = await initBackend(undefined, { oneDnn: true });
  const rows: Row[] = [];
  // Warm-up: the first tf call of each op pays one-time kernel set-up, which is not what we measure.
  { const w = dataset(1, 16); knnClassify(w.bank.x, w.bank.y, w.test.x); trainLinearProbe(w.bank.x, w.bank.y, { seed: 0, epochs: 1, minSteps: 1 }); }
  const started = performance.now();
  for (const d of sizes.dims) {
    const { bank, test, ood } = dataset(d, d);
    const R = sizes.repeats;
    const knnMs = timeIt(R, () => { knnClassify(bank.x, bank.y, test.x, { k: 20 }); });
    rows.push({ dim: d, stage: 'kNN classify (tf, chunked)', medianMs: knnMs });
    // Peer on a slice of queries, scaled per query; the tf path is scaled the same way for the ratio.
    naiveKnn(bank.x, bank.y, test.x, 2); // JIT warm-up
    const naiveMs = timeIt(1, () => { naiveKnn(bank.x, bank.y, test.x, sizes.naiveQueries); });
    const naiveFullMs = (naiveMs / sizes.naiveQueries) * sizes.test;
    rows.push({ dim: d, stage: 'kNN classify (naive JS peer)', medianMs: naiveFullMs, note: `measured on ${sizes.naiveQueries} queries, scaled to ${sizes.test}` });
    rows.push({ dim: d, stage: 'probe (grid + refit + predict)', medianMs: timeIt(quick ? R : 1, () => { trainLinearProbe(bank.x, bank.y, { seed: 0 }).predict(test.x); }) });
    const student = dataset(d + 1, 64).test.x; // an unrelated 64-d space of the same count
    rows.push({ dim: d, stage: 'linear CKA (test vs 64-d)', medianMs: timeIt(R, () => { linearCka(test.x, student, { normalize: true }); }) });
    rows.push({ dim: d, stage: 'mutual kNN@10 (test vs 64-d)', medianMs: timeIt(R, () => { mutualKnn(test.x, student, { seed: 0 }); }) });
    rows.push({
      dim: d, stage: 'OOD (kNN k=50 + Mahalanobis + metrics)', medianMs: timeIt(R, () => {
        const idS = knnOodScores(bank.x, test.x, 50), oodS = knnOodScores(bank.x, ood, 50);
        const m = fitMahalanobis(bank.x, bank.y);
        const idM = m.score(test.x), oodM = m.score(ood);
        for (const [a, b] of [[idS, oodS], [idM, oodM]] as const) { auroc(a, b); fprAtTpr(a, b); aupr(a, b); }
      }),
    });
    process.stderr.write(`dim ${d} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  }

  // End to end: teacher at the largest dim, one 64-d student, one OOD set, full bootstrap.
  const big = sizes.dims.at(-1)!;
  const t = dataset(big, big), s = dataset(big + 1, 64);
  const t0 = performance.now();
  evaluateFaithfulness({
    teacher: { train: t.bank.x, test: t.test.x },
    students: { student: { train: s.bank.x, test: s.test.x } },
    idLabels: { train: t.bank.y, test: t.test.y },
    oodSets: { ood: { teacher: t.ood, students: { student: s.ood } } },
    seed: 0,
  });
  const e2eMs = performance.now() - t0;
  rows.push({ dim: big, stage: 'evaluateFaithfulness end to end (+64-d student)', medianMs: e2eMs, note: 'single run' });

  const ratios = sizes.dims.map((d) => {
    const tfMs = rows.find((r) => r.dim === d && r.stage.startsWith('kNN classify (tf'))!.medianMs;
    const naive = rows.find((r) => r.dim === d && r.stage.startsWith('kNN classify (naive'))!.medianMs;
    return { dim: d, naiveOverTf: naive / tfMs };
  });
  const result = {
    bench: 'eval-speed', quick, backend: backend.name, threads: backend.threads, tfjs: tf.version_core,
    sizes: { bank: sizes.bank, test: sizes.test, ood: sizes.ood, dims: sizes.dims, classes: CLASSES },
    rows, knnSpeedup: ratios,
    endToEnd: { seconds: e2eMs / 1000, targetSeconds: TARGET_S, withinTarget: quick ? null : e2eMs / 1000 < TARGET_S },
    date: new Date().toISOString(),
  };
  writeFileAtomicSync('bench/results/eval-speed.json', `${JSON.stringify(result, null, 2)}\n`);

  const w = Math.max(...rows.map((r) => r.stage.length));
  console.log(`eval-speed (${quick ? 'QUICK smoke run' : 'full'}; backend ${backend.name}, ${backend.threads} threads; bank ${sizes.bank}, test ${sizes.test}, OOD ${sizes.ood})`);
  console.log(`${'dim'.padStart(5)}  ${'stage'.padEnd(w)}  ${'median ms'.padStart(10)}`);
  for (const r of rows) console.log(`${String(r.dim).padStart(5)}  ${r.stage.padEnd(w)}  ${r.medianMs.toFixed(1).padStart(10)}${r.note ? `  (${r.note})` : ''}`);
  for (const r of ratios) console.log(`kNN speed-up over the naive JS peer at dim ${r.dim}: ${r.naiveOverTf.toFixed(1)}x`);
  console.log(`end to end: ${(e2eMs / 1000).toFixed(1)} s (target < ${TARGET_S} s at full size${quick ? '; not judged on --quick' : ''})`);
}

await main();
