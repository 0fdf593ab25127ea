/**
 * The fidelity check of a quantised teacher (teacherPrecision int8 / bf16): on first use the quantised and the
 * fp32 teacher run on a seeded sample of the user's training images (at least 64 where the set has them); the
 * figures are the mean and the minimum cosine between matching token rows (the pooled row and every token of every
 * image), and the share of images whose nearest neighbour (cosine of pooled embeddings, among the sample) is the
 * same under both. They are printed, kept next to the quantised model (sealed: the record carries its own
 * SHA-256) so later runs do not repeat the check, and appended to the teacher's id, so they are part of every cache
 * key of its entries and of the cache manifest. Below `minCosine` the run is refused with the figures.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import type { ImageSet } from '../data/types.js';
import { writeFileAtomicSync } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { hashJson, sha256 } from '../util/hash.js';
import { info } from '../util/log.js';
import { Rng } from '../util/random.js';
import { MiB, readFileChecked } from '../util/safe-read.js';
import { forwardTeacher, type AsyncTeacher } from './asyncTeacher.js';
import type { Teacher } from './types.js';
import { extendTeacherIdentity, formatTeacherId, parseTeacherId, type TeacherIdentity } from './identity.js';

export type TeacherPrecision = 'fp32' | 'int8' | 'bf16';

export interface FidelityFigures {
  /** Images in the sample. */
  images: number;
  /** Rows compared per image (pooled + tokens). */
  rows: number;
  meanCosine: number;
  minCosine: number;
  /** Share of images whose pooled-embedding nearest neighbour in the sample agrees (fp32 vs quantised). */
  nnAgreement: number;
}

export interface FidelityReport extends FidelityFigures {
  format: 1;
  precision: TeacherPrecision;
  /** Content hash of the quantised model. */
  model: string;
  /** Hash of the sampled images' pixels. */
  sample: string;
}

/** A teacher running at reduced precision, which must pass the check before its outputs are cached. */
export interface QuantizedTeacher extends AsyncTeacher {
  precision: Exclude<TeacherPrecision, 'fp32'>;
  /** Content hash of the quantised model (its int8 file, or the bf16 graph). */
  quantHash: string;
  /** Set once the check has run. */
  fidelity?: FidelityReport;
  /** The same teacher in fp32 (built on demand; the caller disposes it). */
  reference(): Promise<Teacher>;
  applyFidelity(report: FidelityReport): void;
}

export function isQuantizedTeacher(teacher: Teacher): teacher is QuantizedTeacher {
  const t = teacher as Partial<QuantizedTeacher>;
  return t.precision !== undefined && t.precision !== ('fp32' as string) && typeof t.reference === 'function' && typeof t.applyFidelity === 'function';
}

const fig = (x: number, digits: number) => x.toFixed(digits);

/** The id of a quantised teacher: the fp32 id (unchanged for fp32 teachers), the precision and model hash, the figures. */
export function quantizedTeacherIdentity(base: TeacherIdentity, precision: TeacherPrecision, sha: string, report?: FidelityFigures): TeacherIdentity {
  const figures = report ? `fidelity:${fig(report.minCosine, 4)}/${fig(report.meanCosine, 4)}/${fig(report.nnAgreement, 3)}@${report.images}` : undefined;
  return extendTeacherIdentity(base, `${precision}:${sha.slice(0, 16)}`, figures);
}

/** quantizedTeacherIdentity as the id string. */
export function quantizedTeacherId(baseId: string, precision: TeacherPrecision, sha: string, report?: FidelityFigures): string {
  return formatTeacherId(quantizedTeacherIdentity(parseTeacherId(baseId), precision, sha, report));
}

export function describeFidelity(r: FidelityFigures): string {
  return `token cosine to fp32 mean ${fig(r.meanCosine, 4)}, min ${fig(r.minCosine, 4)}; nearest-neighbour agreement ${fig(r.nnAgreement * 100, 1)}% (${r.images} images, ${r.rows} rows each)`;
}

/** Row-wise cosines of two [rows x dim] arrays; pushes them into `out`. */
function rowCosines(a: Float32Array, b: Float32Array, dim: number, out: number[]): void {
  for (let r = 0; r < a.length / dim; r++) {
    let ab = 0, aa = 0, bb = 0;
    for (let i = r * dim; i < (r + 1) * dim; i++) { ab += a[i]! * b[i]!; aa += a[i]! * a[i]!; bb += b[i]! * b[i]!; }
    // Two zero rows are identical; one zero row against a non-zero one is not.
    out.push(aa === 0 && bb === 0 ? 1 : aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb));
  }
}

/** For each row, the index of its most cosine-similar other row. */
function nearestNeighbours(x: Float32Array, n: number, dim: number): number[] {
  const norm = new Float32Array(n);
  for (let r = 0; r < n; r++) { let s = 0; for (let i = 0; i < dim; i++) s += x[r * dim + i]! ** 2; norm[r] = Math.sqrt(s) || 1; }
  const nn: number[] = [];
  for (let r = 0; r < n; r++) {
    let best = -1, bestSim = -Infinity;
    for (let o = 0; o < n; o++) {
      if (o === r) continue;
      let s = 0;
      for (let i = 0; i < dim; i++) s += x[r * dim + i]! * x[o * dim + i]!;
      const sim = s / (norm[r]! * norm[o]!);
      if (sim > bestSim) { bestSim = sim; best = o; }
    }
    nn.push(best);
  }
  return nn;
}

async function rowsOf(teacher: Teacher, x: tf.Tensor4D): Promise<{ pooled: Float32Array; rows: Float32Array; dim: number; perImage: number }> {
  const out = await forwardTeacher(teacher, x);
  try {
    const pooled = await out.pooled.data() as Float32Array;
    const dim = out.pooled.shape[1];
    const tokens = out.tokens ? await out.tokens.data() as Float32Array : new Float32Array(0);
    const t = out.tokens ? out.tokens.shape[1] : 0;
    const n = out.pooled.shape[0];
    const rows = new Float32Array(n * (1 + t) * dim);
    for (let i = 0; i < n; i++) {
      rows.set(pooled.subarray(i * dim, (i + 1) * dim), i * (1 + t) * dim);
      rows.set(tokens.subarray(i * t * dim, (i + 1) * t * dim), (i * (1 + t) + 1) * dim);
    }
    return { pooled: Float32Array.from(pooled), rows, dim, perImage: 1 + t };
  } finally {
    tf.dispose([out.pooled, ...(out.tokens ? [out.tokens] : []), ...(out.logits ? [out.logits] : [])]);
  }
}

/** The figures of `quantised` against `reference` on `images` (N x H x W x C in [0, 1]), in batches of `batch`. */
export async function measureFidelity(quantised: Teacher, reference: Teacher, pixels: Float32Array, shape: [number, number, number, number], batch = 16): Promise<FidelityFigures> {
  const [n, h, w, c] = shape;
  const per = h * w * c;
  const cosines: number[] = [];
  const pooledA: Float32Array[] = [];
  const pooledB: Float32Array[] = [];
  let dim = 0, perImage = 0;
  for (let b = 0; b < n; b += batch) {
    const m = Math.min(batch, n - b);
    const x = tf.tensor4d(pixels.subarray(b * per, (b + m) * per), [m, h, w, c]);
    try {
      const a = await rowsOf(reference, x);
      const q = await rowsOf(quantised, x);
      rowCosines(a.rows, q.rows, a.dim, cosines);
      pooledA.push(a.pooled); pooledB.push(q.pooled);
      dim = a.dim; perImage = a.perImage;
    } finally {
      x.dispose();
    }
  }
  const cat = (parts: Float32Array[]) => { const out = new Float32Array(n * dim); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };
  const nnA = nearestNeighbours(cat(pooledA), n, dim);
  const nnB = nearestNeighbours(cat(pooledB), n, dim);
  const agree = nnA.filter((v, i) => v === nnB[i]).length;
  return {
    images: n, rows: perImage,
    meanCosine: cosines.reduce((s, v) => s + v, 0) / cosines.length,
    minCosine: cosines.reduce((s, v) => Math.min(s, v), Infinity),
    nnAgreement: n > 1 ? agree / n : 1,
  };
}

export interface FidelityOptions {
  /** Smallest token cosine accepted (teacherFidelity.minCosine). */
  minCosine: number;
  /** Sample size (teacherFidelity.images; at most the set's size). */
  images: number;
  /** Where the record is kept (next to the int8 model); none: the check runs every time. */
  dir?: string;
  seed?: number;
}

function readRecord(file: string, dir: string): FidelityReport | undefined {
  try {
    const { body, sha } = JSON.parse(readFileChecked(file, { what: 'fidelity record', maxBytes: MiB, within: dir }).toString('utf8')) as { body: FidelityReport; sha: string };
    return sha === hashJson(body) ? body : undefined; // a changed record is measured again, never trusted
  } catch {
    return undefined;
  }
}

/**
 * Runs (or reads) the fidelity check of a quantised teacher on a seeded sample of `set` (the training images as
 * the teacher sees them), prints the figures, refuses below `minCosine`, and puts the figures into the teacher's
 * id. Does nothing for an fp32 teacher.
 */
export async function ensureTeacherFidelity(teacher: Teacher, set: ImageSet, opts: FidelityOptions): Promise<FidelityReport | undefined> {
  if (!isQuantizedTeacher(teacher)) return undefined;
  const n = Math.min(set.count, Math.max(2, opts.images));
  const per = set.height * set.width * set.channels;
  const order = new Rng(opts.seed ?? 0).permutation(set.count).subarray(0, n);
  const indices = [...order].sort((a, b) => a - b);
  const pixels = new Float32Array(n * per);
  indices.forEach((i, k) => pixels.set(set.pixels.subarray(i * per, (i + 1) * per), k * per));
  const sample = sha256(new Uint8Array(pixels.buffer)).slice(0, 32);
  const file = opts.dir ? join(opts.dir, `${teacher.quantHash}.fidelity-${sample.slice(0, 16)}.json`) : undefined;
  let report = file && existsSync(file) ? readRecord(file, opts.dir!) : undefined;
  if (!report) {
    info(`tintem: ${teacher.precision} teacher: fidelity check against fp32 on ${n} training images ...`);
    const reference = await teacher.reference();
    let figures: FidelityFigures;
    try {
      figures = await measureFidelity(teacher, reference, pixels, [n, set.height, set.width, set.channels]);
    } finally {
      reference.dispose();
    }
    report = { format: 1, precision: teacher.precision, model: teacher.quantHash, sample, ...figures };
    if (file) writeFileAtomicSync(file, `${JSON.stringify({ body: report, sha: hashJson(report) })}\n`);
  }
  info(`tintem: ${teacher.precision} teacher: ${describeFidelity(report)}`);
  if (!(report.minCosine >= opts.minCosine)) {
    throw new UserError(`teacherPrecision ${teacher.precision}: the ${teacher.precision} teacher is too far from fp32: min token cosine ${fig(report.minCosine, 4)} < teacherFidelity.minCosine ${opts.minCosine} (mean ${fig(report.meanCosine, 4)}, nearest-neighbour agreement ${fig(report.nnAgreement * 100, 1)}%, ${report.images} images); use teacherPrecision fp32 or lower teacherFidelity.minCosine`);
  }
  teacher.applyFidelity(report);
  return report;
}

/** The folder of a cache that holds quantised teacher models and their fidelity records. */
export const PRECISION_DIR = 'teacher-int8';

interface PrecisionConfig {
  teacherPrecision: TeacherPrecision;
  teacherFidelity: { minCosine: number; images: number };
  cacheDir: string;
  seed: number;
}

/** createTeacher options for a config's teacherPrecision (nothing for fp32, so fp32 teachers are built as before). */
export function teacherPrecisionOptions(config: PrecisionConfig): { precision?: TeacherPrecision; precisionDir?: string } {
  return config.teacherPrecision === 'fp32' ? {} : { precision: config.teacherPrecision, precisionDir: join(config.cacheDir, PRECISION_DIR) };
}

/** {@link ensureTeacherFidelity} with a config's threshold, sample size, cache folder and seed. */
export function checkTeacherFidelity(teacher: Teacher, set: ImageSet, config: PrecisionConfig): Promise<FidelityReport | undefined> {
  return ensureTeacherFidelity(teacher, set, {
    minCosine: config.teacherFidelity.minCosine, images: config.teacherFidelity.images, dir: join(config.cacheDir, PRECISION_DIR), seed: config.seed,
  });
}
