/**
 * ReportData: everything a tintem report shows, as plain versioned JSON. The demo (or any script) fills one in,
 * `writeReport` renders it and saves it as report-data.json, and `tintem report --data` re-renders a saved one.
 *
 * Models are listed once in `models` and referenced everywhere else by `id`. Every section but the header is
 * optional; a missing one is omitted from the report with a note (say why in `omitted`).
 *
 * In memory, number arrays may be typed arrays and images may be raw pixels; `normalizeReportData` turns them into
 * the JSON form (plain arrays, PNG data URIs, non-finite numbers as null) that the schema validates.
 */
import { z } from 'zod';

export const REPORT_DATA_VERSION = 1;

/** A plain number array or a typed array (Float32Array from `tensor.dataSync()`). */
export type NumberArray = ArrayLike<number>;

export interface ReportModel {
  /** Key used in every other section, e.g. 'teacher', 'tintem', 'proteus'. */
  id: string;
  /** Display name; defaults to id. */
  label?: string;
  role: 'teacher' | 'student';
  /** Distillation method of a student, e.g. 'tintem'. */
  method?: string;
  /** Trainable parameters, shown in the header. */
  params?: number;
}

/** One logged training step of one method. */
export interface CurvePoint {
  step: number;
  epoch: number;
  lr: number | null;
  /** Unweighted loss terms by name (and 'total' if logged); null or NaN for a diverged value. */
  terms: Record<string, number | null>;
}

/** A scorecard cell: a value with an optional 95% CI, or the reason it was skipped. null/NaN value shows as "—". */
export type ScoreCell = { value: number | null; lo?: number | null; hi?: number | null } | { skipped: string };

export interface ScoreRow {
  metric: string;
  higherIsBetter: boolean;
  /** 'percent' shows value x 100 with a % sign. */
  format?: 'decimal' | 'percent';
  /** Cells by model id; a model without a cell shows "—". */
  cells: Record<string, ScoreCell>;
  note?: string;
  /**
   * Values at or past this are failures (chance level or worse: AUROC <= 0.5, FPR@95 >= 0.95) and are never
   * highlighted as best.
   */
  failAt?: number;
  /** Rows hidden by default: shown in a collapsed block below the scorecard with this explanation. */
  hidden?: string;
}

export interface ScoreSection {
  /** e.g. 'quality', 'agreement', 'similarity', 'OOD: noise', 'robustness'. */
  name: string;
  rows: ScoreRow[];
}

export interface Scorecard {
  /** Model ids to show as columns, in order; defaults to every model. */
  columns?: string[];
  sections: ScoreSection[];
}

export interface RocCurve {
  fpr: NumberArray;
  tpr: NumberArray;
  auroc: number | null;
}

export interface RocSet {
  /** OOD set name, e.g. 'fashion-mnist'. */
  set: string;
  /** OOD score name, e.g. 'knn-distance'. */
  score: string;
  models: Record<string, RocCurve>;
}

export interface RobustnessSeries {
  /** One value per severity; null where not measured. */
  accuracy?: Array<number | null>;
  agreement?: Array<number | null>;
}

export interface RobustnessCorruption {
  /** Corruption name, or 'mean' for the mean over corruptions. */
  name: string;
  models: Record<string, RobustnessSeries>;
}

export interface Robustness {
  /** Severities the series are measured at; defaults to [0, 1, 2, 3, 4, 5]. */
  severities?: number[];
  corruptions: RobustnessCorruption[];
}

export interface SimilarityScatter {
  /** Student model id. */
  model: string;
  /** Paired pairwise cosines: teacherCos[i] and studentCos[i] are the same image pair. */
  teacherCos: NumberArray;
  studentCos: NumberArray;
  /** The scorecard's figures for this student (over its own pair sample); the title shows these when given. */
  pearson?: number;
  spearman?: number;
}

export interface EmbeddingMap {
  model: string;
  /** N rows of raw embeddings (the report projects them to 2-D itself). */
  embeddings: NumberArray[];
}

export interface EmbeddingMaps {
  /** Labels of the N points, shared by every model's map (same images in the same order). */
  labels?: Array<number | string>;
  /** Display names for numeric labels. */
  labelNames?: string[];
  models: EmbeddingMap[];
}

/** Raw pixels, HWC, values in [0, 1]; channels 1 (grayscale) or 3 (RGB). */
export interface PixelImage {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: NumberArray;
}

/** An image: raw pixels, or an already-encoded `data:image/png;base64,...` URI. */
export type ReportImage = PixelImage | string;

export interface Neighbour {
  image: ReportImage;
  label?: number | string;
  /** Cosine similarity to the query. */
  similarity?: number | null;
}

export interface NeighbourQuery {
  image: ReportImage;
  label?: number | string;
  /** Top-k neighbours by model id, nearest first. */
  neighbours: Record<string, Neighbour[]>;
}

export interface NeighbourStrips {
  labelNames?: string[];
  queries: NeighbourQuery[];
}

/** One headline figure of a student's verdict. Gaps are student minus teacher (negative = worse than the teacher). */
export interface VerdictFigure {
  label: string;
  format: 'percent' | 'decimal';
  /** The student's value and 95% CI; null when not computed (see `missing`). */
  value: number | null;
  lo?: number | null;
  hi?: number | null;
  /** The teacher's value; null/absent where the teacher has none (agreement, CKA). */
  teacher?: number | null;
  /** When set, `teacher` and `gap` are against this model instead (an exported form against its fp32 student). */
  reference?: string;
  /** Student minus teacher, with the widest difference of the two intervals when both have one. */
  gap?: { value: number; lo?: number | null; hi?: number | null } | null;
  /** The gap under the win rule: better / same as / worse than the teacher. */
  outcome?: 'better' | 'same' | 'worse';
  missing?: string;
}

export interface StudentVerdict {
  model: string;
  /** A plain-language summary of the figures. */
  sentence: string;
  figures: VerdictFigure[];
}

export interface Verdict {
  students: StudentVerdict[];
  /** How better / same / worse were decided. */
  rule: string;
}

export type SectionKey = 'scorecard' | 'curves' | 'roc' | 'robustness' | 'similarity' | 'maps' | 'neighbours' | 'notes';

export interface ReportData {
  version: typeof REPORT_DATA_VERSION;
  title: string;
  /** ISO 8601 time. */
  createdAt: string;
  tintemVersion: string;
  backend: string;
  /** The run's resolved config (any JSON). */
  config: unknown;
  models: ReportModel[];
  /** Training curves by method name. */
  curves?: Record<string, CurvePoint[]>;
  scorecard?: Scorecard;
  roc?: RocSet[];
  robustness?: Robustness;
  similarity?: SimilarityScatter[];
  maps?: EmbeddingMaps;
  neighbours?: NeighbourStrips;
  /** The one-screen answer to "is my student faithful?", shown first. */
  verdict?: Verdict;
  /** Free-form Markdown, e.g. where TinTeM wins, ties or loses. */
  notes?: string;
  /** Why a section is missing, shown in its place. */
  omitted?: Partial<Record<SectionKey, string>>;
}

// ---- zod schema for the JSON form (after normalizeReportData) ----

const num = z.number();
const optNum = z.number().nullable();
/** Fractions (accuracies, rates, AUROC) and cosines have fixed ranges: a -500 % accuracy is damage, not a result. */
const unit = z.number().min(0).max(1);
const optUnit = unit.nullable();
const cosine = z.number().min(-1 - 1e-6).max(1 + 1e-6);
const label = z.union([z.number(), z.string()]);
const dataUri = z.string().regex(/^data:image\/png;base64,[A-Za-z0-9+/=]+$/, 'expected a data:image/png;base64 URI');

const modelSchema = z.strictObject({
  id: z.string().min(1),
  label: z.string().optional(),
  role: z.enum(['teacher', 'student']),
  method: z.string().optional(),
  params: z.number().int().nonnegative().optional(),
});

const curvePointSchema = z.strictObject({
  step: num,
  epoch: num,
  lr: optNum,
  terms: z.record(z.string(), optNum),
});

const cellSchema = z.union([
  z.strictObject({ value: optNum, lo: optNum.optional(), hi: optNum.optional() }),
  z.strictObject({ skipped: z.string() }),
]);

const scoreRowSchema = z.strictObject({
  metric: z.string(),
  higherIsBetter: z.boolean(),
  format: z.enum(['decimal', 'percent']).optional(),
  cells: z.record(z.string(), cellSchema),
  note: z.string().optional(),
  failAt: z.number().optional(),
  hidden: z.string().optional(),
});

const scorecardSchema = z.strictObject({
  columns: z.array(z.string()).optional(),
  sections: z.array(z.strictObject({ name: z.string(), rows: z.array(scoreRowSchema) })),
});

const rocCurveSchema = z
  .strictObject({ fpr: z.array(unit), tpr: z.array(unit), auroc: optUnit })
  .refine((r) => r.fpr.length === r.tpr.length, 'expected fpr and tpr of the same length');

const rocSetSchema = z.strictObject({ set: z.string(), score: z.string(), models: z.record(z.string(), rocCurveSchema) });

const robustnessSchema = z.strictObject({
  severities: z.array(num).optional(),
  corruptions: z.array(
    z.strictObject({
      name: z.string(),
      models: z.record(
        z.string(),
        z.strictObject({ accuracy: z.array(optUnit).optional(), agreement: z.array(optUnit).optional() }),
      ),
    }),
  ),
});

const similaritySchema = z
  .strictObject({ model: z.string(), teacherCos: z.array(cosine), studentCos: z.array(cosine), pearson: num.optional(), spearman: num.optional() })
  .refine((s) => s.teacherCos.length === s.studentCos.length, 'expected teacherCos and studentCos of the same length');

const mapsSchema = z.strictObject({
  labels: z.array(label).optional(),
  labelNames: z.array(z.string()).optional(),
  models: z.array(z.strictObject({ model: z.string(), embeddings: z.array(z.array(num)) })),
});

const neighbourSchema = z.strictObject({ image: dataUri, label: label.optional(), similarity: cosine.nullable().optional() });

const neighboursSchema = z.strictObject({
  labelNames: z.array(z.string()).optional(),
  queries: z.array(
    z.strictObject({
      image: dataUri,
      label: label.optional(),
      neighbours: z.record(z.string(), z.array(neighbourSchema)),
    }),
  ),
});

const verdictFigureSchema = z.strictObject({
  label: z.string(),
  format: z.enum(['decimal', 'percent']),
  value: optNum,
  lo: optNum.optional(),
  hi: optNum.optional(),
  teacher: optNum.optional(),
  reference: z.string().optional(),
  gap: z.strictObject({ value: num, lo: optNum.optional(), hi: optNum.optional() }).nullable().optional(),
  outcome: z.enum(['better', 'same', 'worse']).optional(),
  missing: z.string().optional(),
});

const verdictSchema = z.strictObject({
  students: z.array(z.strictObject({ model: z.string(), sentence: z.string(), figures: z.array(verdictFigureSchema) })),
  rule: z.string(),
});

const sectionKeys = ['scorecard', 'curves', 'roc', 'robustness', 'similarity', 'maps', 'neighbours', 'notes'] as const;

export const reportDataSchema = z
  .strictObject({
    version: z.literal(REPORT_DATA_VERSION, { error: `expected version ${REPORT_DATA_VERSION}` }),
    title: z.string(),
    createdAt: z.string(),
    tintemVersion: z.string(),
    backend: z.string(),
    config: z.unknown(),
    models: z.array(modelSchema).min(1),
    curves: z.record(z.string(), z.array(curvePointSchema)).optional(),
    scorecard: scorecardSchema.optional(),
    roc: z.array(rocSetSchema).optional(),
    robustness: robustnessSchema.optional(),
    similarity: z.array(similaritySchema).optional(),
    maps: mapsSchema.optional(),
    neighbours: neighboursSchema.optional(),
    verdict: verdictSchema.optional(),
    notes: z.string().optional(),
    omitted: z.partialRecord(z.enum(sectionKeys), z.string()).optional(),
  })
  .superRefine((data, ctx) => {
    // Every model reference must name a model in `models`.
    const ids = new Set(data.models.map((m) => m.id));
    const known = [...ids].join(', ');
    const check = (id: string, path: Array<string | number>): void => {
      if (!ids.has(id)) ctx.addIssue({ code: 'custom', path, message: `unknown model id '${id}' (models: ${known})` });
    };
    data.scorecard?.columns?.forEach((id, i) => check(id, ['scorecard', 'columns', i]));
    data.scorecard?.sections.forEach((s, si) =>
      s.rows.forEach((r, ri) => Object.keys(r.cells).forEach((id) => check(id, ['scorecard', 'sections', si, 'rows', ri, 'cells', id]))));
    data.roc?.forEach((r, i) => Object.keys(r.models).forEach((id) => check(id, ['roc', i, 'models', id])));
    data.robustness?.corruptions.forEach((c, i) => Object.keys(c.models).forEach((id) => check(id, ['robustness', 'corruptions', i, 'models', id])));
    data.similarity?.forEach((s, i) => check(s.model, ['similarity', i, 'model']));
    data.verdict?.students.forEach((s, i) => check(s.model, ['verdict', 'students', i, 'model']));
    data.maps?.models.forEach((m, i) => check(m.model, ['maps', 'models', i, 'model']));
    data.neighbours?.queries.forEach((q, i) => Object.keys(q.neighbours).forEach((id) => check(id, ['neighbours', 'queries', i, 'neighbours', id])));
    // Percent rows hold fractions (accuracy, agreement, AUROC, FPR): 0..1 before they are shown as 0..100 %.
    data.scorecard?.sections.forEach((s, si) => s.rows.forEach((r, ri) => {
      if (r.format !== 'percent') return;
      for (const [id, cell] of Object.entries(r.cells)) {
        if (!('value' in cell)) continue;
        for (const key of ['value', 'lo', 'hi'] as const) {
          const v = cell[key];
          if (typeof v === 'number' && !(v >= 0 && v <= 1)) {
            ctx.addIssue({ code: 'custom', path: ['scorecard', 'sections', si, 'rows', ri, 'cells', id, key], message: `${r.metric} is a fraction in 0..1, got ${v}` });
          }
        }
      }
    }));
    const n = data.maps?.labels?.length;
    data.maps?.models.forEach((m, i) => {
      if (n !== undefined && m.embeddings.length !== n) {
        ctx.addIssue({ code: 'custom', path: ['maps', 'models', i, 'embeddings'], message: `expected ${n} rows (one per label), got ${m.embeddings.length}` });
      }
    });
  });

/** ReportData in its JSON form: plain arrays, PNG data URIs. */
export type ReportDataJson = z.infer<typeof reportDataSchema>;

// The JSON form must be a valid ReportData (compile-time check that the interfaces and the schema agree).
const _jsonIsReportData = (d: ReportDataJson): ReportData => d;
void _jsonIsReportData;
