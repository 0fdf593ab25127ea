/**
 * `tintem export --run`: turns a finished training run folder into an export folder. The run folder is read
 * through its owner (training/run-folder.ts), so every file is verified against summary.json's checksums first
 * and a damaged or mixed folder is refused. Headline figures come from `tintem eval`'s default output
 * (runDir/eval/scorecard.json) when present; optionally builds a gallery, whose calibration gives the threshold.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../data/index.js';
import { loadRunStudent, readRunSummary, verifyRunFolder } from '../training/run-folder.js';
import { UserError } from '../util/errors.js';
import { info } from '../util/log.js';
import { quoteName } from '../util/quote.js';
import { MiB, readFileChecked } from '../util/safe-read.js';
import { KNN_OOD_SCORE } from './knn.js';
import { exportStudent } from './exporter.js';
import { buildGallery, DEFAULT_OOD_K, MIN_CALIBRATION_IMAGES, writeGallery } from './gallery.js';
import { loadStudent } from './load.js';
import type { OodSpec, StudentMetadata, TintemJson } from './meta.js';
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
}

export interface ExportRunResult {
  meta: TintemJson;
  gallery?: Gallery;
  /** Dataset spec the gallery was drawn from. */
  gallerySpec?: string;
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

/** 'mnist:train' -> 'mnist:test' (gallery images the student did not train on); other specs unchanged. */
export function galleryDatasetFor(trainSpec: string | undefined): string | undefined {
  if (!trainSpec) return undefined;
  return trainSpec.replace(/^(mnist|fashion):train$/, '$1:test');
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
  const { runDir, outDir } = opts;
  const summary = verifyRunFolder(runDir, readRunSummary(runDir));
  const scorecard = readScorecard(runDir);
  const teacherId = opts.teacherId ?? summary.teacher.id;
  const method = opts.method ?? summary.method.name;

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
    await exportStudent(model, outDir, meta, { withTokens: opts.withTokens });
  } finally {
    model.dispose();
  }

  const size = opts.gallerySize ?? 300;
  const gallerySpec = opts.gallery ?? galleryDatasetFor(summary.data.train);
  const student = await loadStudent(outDir);
  try {
    if (size === 0) return { meta: student.meta };
    if (!gallerySpec) throw new UserError(`${quoteName(runDir)}: cannot tell which images the gallery should use; pass --gallery <dataset> (or --gallery-size 0)`);
    info(`building a ${size}-image gallery from ${gallerySpec}…`);
    const set = await loadDataset(gallerySpec, { limit: size + Math.max(size, MIN_CALIBRATION_IMAGES), seed: opts.seed ?? 0, size: student.meta.inputSize, channels: student.meta.channels, strict: opts.strict });
    const gallery = await buildGallery(student, set, size, opts.seed ?? 0, { k: student.meta.ood?.k });
    await writeGallery(outDir, gallery);
    return { meta: student.meta, gallery, gallerySpec };
  } finally {
    student.dispose();
  }
}
