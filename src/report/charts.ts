/**
 * Vega-Lite chart specs for the report, rendered server-side to static SVG strings (vega's headless 'none'
 * renderer: no canvas, no browser, no network), so the HTML report needs no JavaScript at view time.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

type Spec = Record<string, unknown>;

/** Colours for models, teacher first in dark grey (Tableau 10 for students). */
export const MODEL_PALETTE = ['#3a3a3a', '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
const LABEL_SCHEME = 'tableau10';

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif',
  background: 'white',
  view: { stroke: '#d9d9d9' },
  axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#eeeeee', domainColor: '#999', tickColor: '#999' },
  legend: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', symbolSize: 60, labelLimit: 320 },
  header: { labelFontSize: 11, labelFontWeight: 'bold' },
  title: { fontSize: 12, fontWeight: 'bold', anchor: 'start', offset: 6 },
  line: { strokeWidth: 1.8 },
};

let chartCounter = 0;

/** Compiles a Vega-Lite spec and renders it to an SVG string whose element ids are unique within the page. */
export async function renderSvg(spec: Spec): Promise<string> {
  const full = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...spec } as TopLevelSpec;
  // Quiet loggers: warnings such as an empty extent must not clutter the CLI's stderr.
  const quiet = vega.logger(vega.Error);
  const view = new vega.View(vega.parse(compile(full, { logger: quiet }).spec), { renderer: 'none', logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    return uniquifyIds(svg, `c${++chartCounter}-`);
  } finally {
    view.finalize();
  }
}

/** Vega numbers clip paths from 1 in every SVG; prefix them so several inline SVGs can share one document. */
export function uniquifyIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}${id})`)
    .replace(/href="#([^"]+)"/g, (_m, id: string) => `href="#${prefix}${id}"`);
}

/** At most `max` evenly spaced items, always keeping the first and last. */
export function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(items[Math.round((k * (items.length - 1)) / (max - 1))]!);
  return out;
}

export interface ModelColours {
  domain: string[];
  range: string[];
}

function colour(field: string, colours: ModelColours, title: string | null = null): Spec {
  return { field, type: 'nominal', title, scale: { domain: colours.domain, range: colours.range }, sort: colours.domain };
}

// ---- training curves: one small multiple per loss term, a line per method ----

export interface CurveRow { method: string; term: string; step: number; value: number }

export function curvesSpec(rows: CurveRow[], colours: ModelColours, terms: string[]): Spec {
  return {
    data: { values: rows },
    facet: { field: 'term', type: 'nominal', title: null, sort: terms },
    columns: 3,
    spec: {
      width: 230,
      height: 130,
      mark: { type: 'line', clip: true },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: colour('method', colours, 'method'),
      },
    },
    // Own y scale per term (losses differ in scale); an x axis under every panel.
    resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
  };
}

// ---- ROC: a line per model plus the chance diagonal ----

export interface RocRow { model: string; fpr: number; tpr: number; i: number }

export function rocSpec(title: string, rows: RocRow[], colours: ModelColours): Spec {
  return {
    title,
    width: 250,
    height: 230,
    layer: [
      {
        data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
        mark: { type: 'line', color: '#bbbbbb', strokeDash: [4, 4], strokeWidth: 1 },
        encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', clip: true },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
          color: colour('model', colours),
          order: { field: 'i', type: 'quantitative' },
        },
      },
    ],
  };
}

// ---- robustness: metric vs severity, one panel per corruption ----

export interface RobustnessRow { corruption: string; model: string; severity: number; value: number }

export function robustnessSpec(rows: RobustnessRow[], corruptions: string[], yTitle: string, colours: ModelColours): Spec {
  return {
    data: { values: rows },
    facet: { field: 'corruption', type: 'nominal', title: null, sort: corruptions },
    columns: 5,
    spec: {
      width: 140,
      height: 110,
      mark: { type: 'line', point: { size: 18 } },
      encoding: {
        x: { field: 'severity', type: 'quantitative', title: 'severity', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
        color: colour('model', colours),
      },
    },
    resolve: { axis: { x: 'independent' } },
  };
}

// ---- similarity scatter: student vs teacher pairwise cosine, with y = x ----

export function similaritySpec(title: string, teacherCos: number[], studentCos: number[], colour: string): Spec {
  let lo = Infinity, hi = -Infinity;
  for (const v of [...teacherCos, ...studentCos]) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
  const values = teacherCos.map((t, i) => ({ t, s: studentCos[i]! }));
  const axis = { scale: { domain: [lo, hi] } };
  return {
    title,
    width: 260,
    height: 260,
    layer: [
      {
        data: { values },
        mark: { type: 'circle', size: 7, opacity: 0.35, color: colour },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'teacher cosine', ...axis },
          y: { field: 's', type: 'quantitative', title: 'student cosine', ...axis },
        },
      },
      {
        data: { values: [{ t: lo, s: lo }, { t: hi, s: hi }] },
        mark: { type: 'line', color: '#333333', strokeDash: [5, 3], strokeWidth: 1.2 },
        encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 's', type: 'quantitative' } },
      },
    ],
  };
}

// ---- 2-D embedding map coloured by label ----

export interface MapRow { x: number; y: number; label: string }

export function mapSpec(title: string, rows: MapRow[], labelDomain: string[], axisTitles: [string, string], showLegend: boolean): Spec {
  return {
    title,
    width: 230,
    height: 230,
    data: { values: rows },
    mark: { type: 'circle', size: 12, opacity: 0.75 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axisTitles[0], axis: { labels: false, ticks: false } },
      y: { field: 'y', type: 'quantitative', title: axisTitles[1], axis: { labels: false, ticks: false } },
      color: {
        field: 'label',
        type: 'nominal',
        title: 'label',
        scale: { domain: labelDomain, scheme: labelDomain.length > 10 ? 'category20' : LABEL_SCHEME },
        legend: showLegend ? {} : null,
      },
    },
  };
}
