/**
 * `tintem export --run`: turns a finished training run folder into an export folder. The run folder is read
 * through its owner (training/run-folder.ts), so every file is verified against summary.json's checksums first
 * and a damaged or mixed folder is refused. Headline figures come from `tintem eval`'s default output
 * (runDir/eval/scorecard.json) when present; optionally builds a gallery, whose calibration gives the threshold.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { ImageSet } from '../data/types.js';
import { Rng } from '../util/random.js';
import { loadDataset, testSplitOf } from '../data/index.js';
import { loadRunStudent, readRunSummary, verifyRunFolder } from '../training/run-folder.js';
import { UserError } from '../util/errors.js';
import { info } from '../util/log.js';
import { quoteName } from '../util/quote.js';
import { MiB, readFileChecked } from '../util/safe-read.js';
import { KNN_OOD_SCORE } from './knn.js';
import { exportStudent, updateExportMetadata } from './exporter.js';
import { resolveExportFormats } from './formats.js';
import type { OnnxExportReport } from './onnx-export.js';
import { buildGallery, DEFAULT_OOD_K, MIN_CALIBRATION_IMAGES, writeGallery } from './gallery.js';
import { loadStudent } from './load.js';
import { METADATA_FILE, MODEL_FILE, WEIGHTS_FILE, type OodSpec, type StudentMetadata, type TintemJson } from './meta.js';
import { readMetadata } from './open.js';
import { folderReader } from './load.js';
import type { Gallery } from './gallery-format.js';

type Json = Record<string, unknown>;

export interface ExportRunOptions {
  runDir: string;
  outDir: string;
  withTokens?: boolean;
  /** Dataset spec for the gallery (default: the test split of the run's training data); ignored when gallerySize is 0. */
  gallery?: string;
  /** Gallery images (default 300; 0 = no gallery). */
  gallerySize?: number;
  seed?: number;
  /** Override what the run folder says. */
  teacherId?: string;
  method?: string;
  oodK?: number;
  oodThreshold?: number;
  /** Image-folder galleries: fail on the first unreadable file instead of skipping it. */
  strict?: boolean;
  /** Which forms to write: a registered export format's name, or 'all' (default: every registered format). */
  format?: ExportFormat;
  /** Also write a format's quantised variant ('int8': student.int8.onnx). */
  quantize?: string;
  /** Time the int8 file against fp32 with onnxruntime-node (the CLI prints it). */
  timing?: boolean;
}

/** A registered export format's name (src/export/formats.ts), or 'all'. */
export type ExportFormat = string;

export interface ExportRunResult {
  meta: TintemJson;
  gallery?: Gallery;
  /** Dataset spec the gallery was drawn from. */
  gallerySpec?: string;
  onnx?: OnnxExportReport;
  /** What each format written reported, by format name (the CLI prints them through the format's `describe`). */
  reports: Record<string, unknown>;
}

/**
 * The export is written into a temp folder beside `outDir` and renamed into place at the end, so an interrupted
 * export never leaves a folder that loads as complete. An existing `outDir` must be an earlier export (replaced)
 * or empty: anything else is refused before any work.
 */
function checkOutDir(outDir: string): void {
  if (!existsSync(outDir)) return;
  const info = statSync(outDir);
  if (!info.isDirectory()) throw new UserError(`--out ${quoteName(outDir)}: exists and is not a folder`);
  const entries = readdirSync(outDir);
  if (entries.length > 0 && !entries.includes(METADATA_FILE)) {
    throw new UserError(`--out ${quoteName(outDir)}: a non-empty folder that is not a tintem export; choose a new or empty folder`);
  }
}

function tempSibling(outDir: string, tag: string): string {
  return join(dirname(outDir), `.${basename(outDir)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function commitFolder(tmp: string, outDir: string): void {
  let old: string | undefined;
  if (existsSync(outDir)) {
    old = tempSibling(outDir, 'old');
    renameSync(outDir, old);
  }
  try {
    renameSync(tmp, outDir);
  } catch (e) {
    if (old) renameSync(old, outDir);
    throw e;
  }
  if (old) rmSync(old, { recursive: true, force: true });
}

/** Seeded 8-bit noise images: the ONNX check when there is no gallery. */
function noiseImages(count: number, size: number, channels: 1 | 3, seed: number): ImageSet {
  const rng = new Rng(seed);
  const pixels = new Float32Array(count * size * size * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(rng.next() * 256) / 255;
  return { name: `noise:${count}`, count, height: size, width: size, channels, pixels };
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Headline figures of a scorecard: REPORT's {sections:[{name, rows:[{metric, cells}]}]} for one model, or top-level scalars. */
export function scorecardSummary(scorecard: Json, modelId: string): Json {
  const out: Json = {};
  const body = isObject(scorecard.scorecard) ? scorecard.scorecard : scorecard;
  if (Array.isArray(body.sections)) {
    for (const section of body.sections) {
      if (!isObject(section) || !Array.isArray(section.rows)) continue;
      for (const row of section.rows) {
        if (!isObject(row) || !isObject(row.cells)) continue;
        const cell = row.cells[modelId];
        if (isObject(cell) && typeof cell.value === 'number') out[`${String(section.name)} / ${String(row.metric)}`] = cell.value;
      }
    }
    return out;
  }
  for (const [k, v] of Object.entries(body)) if (['number', 'string', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}

/** The training spec's test split where its data source has one ('mnist:train' -> 'mnist:test': gallery images the student did not train on); other specs unchanged. */
export function galleryDatasetFor(trainSpec: string | undefined): string | undefined {
  if (!trainSpec) return undefined;
  return testSplitOf(trainSpec) ?? trainSpec;
}

/** Where `tintem eval` writes its scorecard by default for a run. */
export const RUN_SCORECARD = join('eval', 'scorecard.json');

function readScorecard(runDir: string): Json | undefined {
  const path = join(runDir, RUN_SCORECARD);
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileChecked(path, { what: 'scorecard', maxBytes: 64 * MiB }).toString('utf8'));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${quoteName(path)}: not valid JSON`);
  }
  if (!isObject(value)) throw new UserError(`${quoteName(path)}: expected an object at the top level`);
  return value;
}

export async function exportRun(opts: ExportRunOptions): Promise<ExportRunResult> {
  const { runDir } = opts;
  const outDir = resolve(opts.outDir);
  const chosen = resolveExportFormats(opts.format ?? 'all', opts.quantize);
  checkOutDir(outDir);
  const summary = verifyRunFolder(runDir, readRunSummary(runDir));
  const scorecard = readScorecard(runDir);
  const teacherId = opts.teacherId ?? summary.teacher.id;
  const method = opts.method ?? summary.method.name;
  const size = opts.gallerySize ?? 300;
  const gallerySpec = opts.gallery ?? galleryDatasetFor(summary.data.train);
  if (size > 0 && !gallerySpec) throw new UserError(`${quoteName(runDir)}: cannot tell which images the gallery should use; pass --gallery <dataset> (or --gallery-size 0)`);

  const tmp = tempSibling(outDir, 'partial');
  // A stop signal ends the process through process.exit: the half-written folder goes with it.
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  process.once('exit', cleanup);
  try {
    const model = await loadRunStudent(runDir, summary);
    try {
      const input = model.inputs[0]!.shape;
      const pooled = model.outputs[0]!.shape;
      const tokens = model.outputs[1]?.shape;
      const threshold = opts.oodThreshold;
      const ood: OodSpec = {
        score: KNN_OOD_SCORE,
        k: opts.oodK ?? DEFAULT_OOD_K,
        ...(threshold !== undefined ? { threshold, tpr: 0.95, source: '--ood-threshold' } : {}),
      };
      const meta: StudentMetadata = {
        inputSize: input[1] as number,
        channels: input[3] as 1 | 3,
        embedDim: pooled[1] as number,
        tokenGrid: tokens ? Math.round(Math.sqrt(tokens[1] as number)) : 0,
        student: summary.student.spec as unknown as Json,
        teacher: { ...summary.teacher, id: teacherId },
        method,
        runId: summary.runId,
        ...(scorecard ? { scorecard: scorecardSummary(scorecard, method) } : {}),
        ood,
      };
      await exportStudent(model, tmp, meta, { withTokens: opts.withTokens });
    } finally {
      model.dispose();
    }

    const { read, shown } = folderReader(tmp);
    const written = await readMetadata(read, shown);
    let set: ImageSet | undefined;
    if (size > 0) {
      info(`building a ${size}-image gallery from ${gallerySpec}…`);
      set = await loadDataset(gallerySpec!, { limit: size + Math.max(size, MIN_CALIBRATION_IMAGES), seed: opts.seed ?? 0, size: written.inputSize, channels: written.channels, strict: opts.strict });
    }
    const reports: Record<string, unknown> = {};
    const checkImages = set ?? noiseImages(16, written.inputSize, written.channels, opts.seed ?? 0);
    for (const entry of chosen) {
      if (!entry.write) continue;
      const quantize = opts.quantize !== undefined && entry.quantize?.includes(opts.quantize) ? opts.quantize : undefined;
      reports[entry.name] = await entry.write({ dir: tmp, checkImages, quantize, timing: opts.timing, onStage: info });
    }
    const onnx = reports.onnx as OnnxExportReport | undefined;
    let gallery: Gallery | undefined;
    if (set) {
      const student = await loadStudent(tmp);
      try {
        gallery = await buildGallery(student, set, size, opts.seed ?? 0, { k: student.meta.ood?.k });
        await writeGallery(tmp, gallery);
      } finally {
        student.dispose();
      }
    }
    if (!chosen.some((e) => e.keepsTfjs)) await updateExportMetadata(tmp, {}, {}, [MODEL_FILE, WEIGHTS_FILE]);
    const final = await readMetadata(read, shown);
    commitFolder(tmp, outDir);
    return { meta: final, ...(gallery ? { gallery, gallerySpec } : {}), ...(onnx ? { onnx } : {}), reports };
  } finally {
    process.off('exit', cleanup);
    cleanup();
  }
}
