/**
 * `distill --converge`'s rule (issue 27, item 9), also used by bench/paper-claim.ts. A cosine schedule makes the
 * last epochs of any run flat by construction (the learning rate goes to zero), and epoch-to-epoch noise on a
 * probe can look flat too, so "flat over the last epochs" measures the schedule, not convergence. Instead a run of
 * E epochs is compared with a whole run 1.5x as long from the same seed, on images neither trained on.
 */
import { Rng } from '../util/random.js';
import { mutualKnnPerImage, unitRows } from './label-free.js';

export const CONVERGE_FACTOR = 1.5;
export const CONVERGE_RESAMPLES = 400;

export const CONVERGE_RULE =
  `A run of E epochs has converged when a run ${CONVERGE_FACTOR}x as long from the same seed (its own whole schedule, not a longer tail of this one) `
  + `scores no better on the held-out slice: for linear CKA and mutual kNN overlap to the teacher, the 95% paired-bootstrap interval of (longer - shorter) `
  + `over the held-out images (${CONVERGE_RESAMPLES} resamples) reaches 0. Otherwise the longer run becomes E and the test repeats. `
  + `The interval's half-width is the noise floor, printed with every comparison: a gain smaller than it cannot be told from noise at this slice size `
  + `(hold out more images to lower it).`;

/** A student's and the teacher's pooled embeddings of the held-out images (row-major, same rows). */
export interface HeldOutEmbeddings {
  teacher: Float32Array;
  teacherDim: number;
  student: Float32Array;
  studentDim: number;
  count: number;
}

export interface FigureComparison {
  name: 'cka' | 'mutualKnn';
  shorter: number;
  longer: number;
  /** longer - shorter, and its 95% paired-bootstrap interval. */
  gain: number;
  lo: number;
  hi: number;
  /** Half-width of that interval. */
  noiseFloor: number;
}

export interface ConvergenceCheck {
  figures: FigureComparison[];
  /** True when no figure gains beyond its interval (every interval reaches 0). */
  converged: boolean;
}

/** Gram matrix of the L2-normalised rows (n x n). */
function unitGram(x: Float32Array, d: number, n: number): Float64Array {
  const u = unitRows(x, n, d);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += u[i * d + c]! * u[j * d + c]!;
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  return g;
}

/** HSIC-style sum of the doubly centred K[idx, idx] times L[idx, idx] (the linear-CKA numerator and norms). */
function centredProduct(k: Float64Array, l: Float64Array, n: number, idx: Int32Array): number {
  const m = idx.length;
  const kb = new Float64Array(m * m), lb = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) { kb[a * m + b] = k[idx[a]! * n + idx[b]!]!; lb[a * m + b] = l[idx[a]! * n + idx[b]!]!; }
  const centre = (g: Float64Array) => {
    const row = new Float64Array(m);
    let all = 0;
    for (let a = 0; a < m; a++) { let s = 0; for (let b = 0; b < m; b++) s += g[a * m + b]!; row[a] = s / m; all += s; }
    all /= m * m;
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) g[a * m + b] = g[a * m + b]! - row[a]! - row[b]! + all;
  };
  centre(kb);
  centre(lb);
  let s = 0;
  for (let i = 0; i < m * m; i++) s += kb[i]! * lb[i]!;
  return s;
}

function ckaOn(k: Float64Array, l: Float64Array, n: number, idx: Int32Array): number {
  const den = Math.sqrt(centredProduct(k, k, n, idx) * centredProduct(l, l, n, idx));
  return den > 0 ? centredProduct(k, l, n, idx) / den : 0;
}

function interval(values: number[]): { lo: number; hi: number } {
  const s = values.slice().sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
  return { lo: at(0.025), hi: at(0.975) };
}

/**
 * The mean per-item gain (longer - shorter) of two paired vectors (one value per held-out image, e.g. a kNN
 * probe's 0/1 correctness or the mutual-kNN share) with its 95% paired-bootstrap interval and noise floor, and
 * whether it converged by the rule (the interval reaches 0). bench/paper-claim.ts applies it to the kNN probe.
 */
export function pairedGain(shorter: ArrayLike<number>, longer: ArrayLike<number>, seed: number, resamples = CONVERGE_RESAMPLES): { gain: number; lo: number; hi: number; noiseFloor: number; converged: boolean } {
  const n = shorter.length;
  if (longer.length !== n || n === 0) throw new Error(`pairedGain: ${n} vs ${longer.length} items`);
  const d = Float64Array.from({ length: n }, (_, i) => longer[i]! - shorter[i]!);
  const rng = new Rng(seed).fork('converge-paired');
  const gains: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[Math.floor(rng.next() * n)]!;
    gains.push(s / n);
  }
  const { lo, hi } = interval(gains);
  return { gain: d.reduce((a, b) => a + b, 0) / n, lo, hi, noiseFloor: (hi - lo) / 2, converged: lo <= 0 };
}

/**
 * Compares the shorter run's student with the longer run's on the same held-out images and teacher rows; `k`
 * for the mutual kNN (default 10).
 */
export function compareRuns(shorter: HeldOutEmbeddings, longer: HeldOutEmbeddings, seed: number, k = 10, resamples = CONVERGE_RESAMPLES): ConvergenceCheck {
  const n = shorter.count;
  if (longer.count !== n) throw new Error(`compareRuns: ${n} vs ${longer.count} held-out images`);
  const kt = unitGram(shorter.teacher, shorter.teacherDim, n);
  const ks = unitGram(shorter.student, shorter.studentDim, n);
  const kl = unitGram(longer.student, longer.studentDim, n);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const ms = mutualKnnPerImage(shorter.teacher, shorter.teacherDim, shorter.student, shorter.studentDim, n, k);
  const ml = mutualKnnPerImage(longer.teacher, longer.teacherDim, longer.student, longer.studentDim, n, k);
  const meanOf = (x: Float64Array, idx: Int32Array) => idx.reduce((s, i) => s + x[i]!, 0) / idx.length;
  const rng = new Rng(seed).fork('converge');
  const ckaGains: number[] = [], knnGains: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const idx = Int32Array.from({ length: n }, () => Math.floor(rng.next() * n));
    ckaGains.push(ckaOn(kt, kl, n, idx) - ckaOn(kt, ks, n, idx));
    knnGains.push(meanOf(ml, idx) - meanOf(ms, idx));
  }
  const figure = (name: FigureComparison['name'], a: number, b: number, gains: number[]): FigureComparison => {
    const { lo, hi } = interval(gains);
    return { name, shorter: a, longer: b, gain: b - a, lo, hi, noiseFloor: (hi - lo) / 2 };
  };
  const figures = [
    figure('cka', ckaOn(kt, ks, n, all), ckaOn(kt, kl, n, all), ckaGains),
    figure('mutualKnn', meanOf(ms, all), meanOf(ml, all), knnGains),
  ];
  return { figures, converged: figures.every((f) => f.lo <= 0) };
}

/** The next, longer budget: 1.5x, at least one epoch more. */
export const longerBudget = (epochs: number) => Math.max(epochs + 1, Math.ceil(epochs * CONVERGE_FACTOR));

/** One line per comparison for logs and the terminal. */
export function describeCheck(epochs: number, longer: number, check: ConvergenceCheck): string {
  const f = (x: FigureComparison) => `${x.name} ${x.shorter.toFixed(3)} -> ${x.longer.toFixed(3)} (gain ${x.gain >= 0 ? '+' : ''}${x.gain.toFixed(3)}, 95% ${x.lo.toFixed(3)}..${x.hi.toFixed(3)}, noise floor ±${x.noiseFloor.toFixed(3)})`;
  return `${epochs} vs ${longer} epochs: ${check.figures.map(f).join('; ')}: ${check.converged ? `converged at ${epochs} epochs` : `not converged (the ${longer}-epoch run is better beyond the noise)`}`;
}
