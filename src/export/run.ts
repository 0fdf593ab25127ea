/**
 * `tintem export --run`: turns a finished training run folder into an export folder. Reads the run's student
 * (runDir/student/model.json + weights), its identity (runDir/summary.json, else runDir/config.yaml) and, when
 * present, runDir/scorecard.json for headline figures and the kNN OOD threshold; optionally builds a gallery.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { loadDataset } from '../data/index.js';
import { UserError } from '../util/errors.js';
import { info } from '../util/log.js';
import { exportStudent } from './exporter.js';
import { buildGallery, DEFAULT_OOD_K, writeGallery } from './gallery.js';
import { loadLayersModelDir, loadStudent } from './load.js';
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
  /** Override or supply what the run folder does not say. */
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

async function readOptional(path: string, parse: (text: string) => unknown): Promise<Json | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let value: unknown;
  try { value = parse(text); } catch { throw new UserError(`${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}`); }
  if (!isObject(value)) throw new UserError(`${path}: expected an object at the top level`);
  return value;
}

/** The first of `candidates` that is a non-empty string. */
function firstString(...candidates: unknown[]): string | undefined {
  return candidates.find((c): c is string => typeof c === 'string' && c.length > 0);
}

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

/** The first object in the scorecard (depth-first) with a numeric `threshold`: its threshold, k and tpr. */
export function findOodThreshold(value: unknown, depth = 0): { threshold: number; k?: number; tpr?: number } | undefined {
  if (depth > 8) return undefined;
  if (Array.isArray(value)) {
    for (const v of value) { const found = findOodThreshold(v, depth + 1); if (found) return found; }
    return undefined;
  }
  if (!isObject(value)) return undefined;
  if (typeof value.threshold === 'number' && Number.isFinite(value.threshold)) {
    return { threshold: value.threshold, k: typeof value.k === 'number' ? value.k : undefined, tpr: typeof value.tpr === 'number' ? value.tpr : undefined };
  }
  for (const v of Object.values(value)) { const found = findOodThreshold(v, depth + 1); if (found) return found; }
  return undefined;
}

/** 'mnist:train' -> 'mnist:test' (gallery images the student did not train on); other specs unchanged. */
export function galleryDatasetFor(trainSpec: string | undefined): string | undefined {
  if (!trainSpec) return undefined;
  return trainSpec.replace(/^(mnist|fashion):train$/, '$1:test');
}

export async function exportRun(opts: ExportRunOptions): Promise<ExportRunResult> {
  const { runDir, outDir } = opts;
  const summary = await readOptional(join(runDir, 'summary.json'), JSON.parse) ?? {};
  const config = await readOptional(join(runDir, 'config.yaml'), (t) => YAML.parse(t))
    ?? await readOptional(join(runDir, 'config.json'), JSON.parse) ?? {};
  const scorecard = await readOptional(join(runDir, 'scorecard.json'), JSON.parse);

  const sTeacher = isObject(summary.teacher) ? summary.teacher : {};
  const sMethod = isObject(summary.method) ? summary.method : {};
  const cMethod = isObject(config.method) ? config.method : {};
  const teacherId = firstString(opts.teacherId, sTeacher.id, summary.teacherId, summary.teacher, config.teacher);
  const method = firstString(opts.method, sMethod.name, summary.method, cMethod.name, config.method);
  if (!teacherId) throw new UserError(`${runDir}: no teacher id in summary.json or config.yaml; pass --teacher <id>`);
  if (!method) throw new UserError(`${runDir}: no method in summary.json or config.yaml; pass --method <name>`);

  const model = await loadLayersModelDir(join(runDir, 'student'));
  try {
    const input = model.inputs[0]!.shape;
    const pooled = model.outputs[0]!.shape;
    const tokens = model.outputs[1]?.shape;
    const sStudent = isObject(summary.student) ? summary.student : {};
    const spec = [sStudent.spec, summary.studentSpec, summary.student, config.student].find((s): s is Json => isObject(s) && Object.keys(s).length > 0) ?? {};

    const found = scorecard ? findOodThreshold(scorecard) : undefined;
    const threshold = opts.oodThreshold ?? found?.threshold;
    const ood: OodSpec = {
      score: 'knn-cosine-distance',
      k: opts.oodK ?? found?.k ?? DEFAULT_OOD_K,
      ...(threshold !== undefined ? { threshold, tpr: found?.tpr ?? 0.95, source: opts.oodThreshold !== undefined ? '--ood-threshold' : 'scorecard.json' } : {}),
    };
    const meta: StudentMetadata = {
      inputSize: input[1] as number,
      channels: input[3] as 1 | 3,
      embedDim: pooled[1] as number,
      tokenGrid: tokens ? Math.round(Math.sqrt(tokens[1] as number)) : 0,
      student: spec,
      teacher: { ...sTeacher, id: teacherId },
      method,
      ...(scorecard ? { scorecard: scorecardSummary(scorecard, method) } : {}),
      ood,
    };
    await exportStudent(model, outDir, meta, { withTokens: opts.withTokens });
  } finally {
    model.dispose();
  }

  const size = opts.gallerySize ?? 300;
  const data = isObject(summary.data) ? summary.data : isObject(config.data) ? config.data : {};
  const gallerySpec = opts.gallery ?? galleryDatasetFor(firstString(data.train, summary.dataset));
  const student = await loadStudent(outDir);
  try {
    if (size === 0) return { meta: student.meta };
    if (!gallerySpec) throw new UserError(`${runDir}: cannot tell which images the gallery should use; pass --gallery <dataset> (or --gallery-size 0)`);
    info(`building a ${size}-image gallery from ${gallerySpec}…`);
    const set = await loadDataset(gallerySpec, { limit: 2 * size, seed: opts.seed ?? 0, size: student.meta.inputSize, channels: student.meta.channels, strict: opts.strict });
    const gallery = await buildGallery(student, set, size, opts.seed ?? 0, { k: student.meta.ood?.k });
    await writeGallery(outDir, gallery);
    return { meta: student.meta, gallery, gallerySpec };
  } finally {
    student.dispose();
  }
}
