/** Scorecard logic shared by the HTML and Markdown renderers: column order, cell text, best student per row. */
import { compareValues } from '../evaluation/compare.js';
import { DASH, isNum } from './format.js';
import type { ReportDataJson } from './types.js';

type Json = ReportDataJson;
export type ScoreRowJson = NonNullable<Json['scorecard']>['sections'][number]['rows'][number];
type Cell = ScoreRowJson['cells'][string];

/** Model ids shown as scorecard columns: the explicit list, else every model (teacher first). */
export function scorecardColumns(data: Json): string[] {
  if (data.scorecard?.columns) return data.scorecard.columns;
  return [...data.models].sort((a, b) => Number(b.role === 'teacher') - Number(a.role === 'teacher')).map((m) => m.id);
}

export function cellValue(cell: Cell | undefined): number | null {
  return cell && 'value' in cell && isNum(cell.value) ? cell.value : null;
}

export interface CellText {
  /** e.g. "0.912 ± 0.011", "91.2% ± 1.1", "—". */
  text: string;
  /** Longer form for tooltips: the exact CI bounds or the skip reason. */
  detail?: string;
  skipped: boolean;
}

/** Text shown for a figure that was not computed or does not apply (the reason is in the tooltip). */
export const NOT_AVAILABLE = 'n/a';

/**
 * One number format per unit: percentages with 1 decimal and a %, other figures with 3 decimals, never in
 * exponent form (a value smaller than the last digit shows as 0.0 / 0.000).
 */
export function formatNumber(x: number | null | undefined, format: ScoreRowJson['format'] = 'decimal', sign = false): string {
  if (!isNum(x)) return DASH;
  const percent = format === 'percent';
  const digits = percent ? 1 : 3;
  let text = (percent ? x * 100 : x).toFixed(digits);
  if (/^-0\.0+$/.test(text)) text = text.slice(1);
  if (sign && !text.startsWith('-')) text = `+${text}`;
  return text + (percent ? '%' : '');
}

/** Formats a cell; the ± is half the CI width (CIs are shown exactly in `detail`). */
export function formatCell(cell: Cell | undefined, format: ScoreRowJson['format'] = 'decimal'): CellText {
  if (!cell) return { text: DASH, skipped: false };
  if ('skipped' in cell) return { text: NOT_AVAILABLE, detail: cell.skipped, skipped: true };
  if (!isNum(cell.value)) return { text: DASH, skipped: false };
  let text = formatNumber(cell.value, format);
  let detail: string | undefined;
  if (isNum(cell.lo) && isNum(cell.hi)) {
    // The half-width in the same unit and digits as the value, without a second % sign.
    text += ` ± ${formatNumber((cell.hi - cell.lo) / 2, format).replace(/%$/, '')}`;
    detail = `95% CI [${formatNumber(cell.lo, format)}, ${formatNumber(cell.hi, format)}]`;
  }
  return { text, detail, skipped: false };
}

/** True when a cell's value is at or past the row's failure level (chance or worse). */
export function isFailure(row: ScoreRowJson, cell: Cell | undefined): boolean {
  const v = cellValue(cell);
  if (v === null || row.failAt === undefined) return false;
  return row.higherIsBetter ? v <= row.failAt : v >= row.failAt;
}

/**
 * The best student in a row under the verdict's win rule (src/evaluation/compare.ts): one that beats every
 * other student with a value. Empty with fewer than two students, on a tie, or when the winner's value is a
 * failure (chance level or worse).
 */
export function bestStudents(row: ScoreRowJson, columns: string[], data: Json): Set<string> {
  const students = new Set(data.models.filter((m) => m.role === 'student').map((m) => m.id));
  const valued = columns.filter((id) => students.has(id) && cellValue(row.cells[id]) !== null);
  if (valued.length < 2) return new Set();
  const asCompared = (id: string) => {
    const c = row.cells[id] as { value: number; lo?: number | null; hi?: number | null };
    return { value: c.value, lo: c.lo, hi: c.hi };
  };
  for (const id of valued) {
    const beatsAll = valued.every((other) => other === id || compareValues(asCompared(id), asCompared(other), row.higherIsBetter) === 'win');
    if (beatsAll && !isFailure(row, row.cells[id])) return new Set([id]);
  }
  return new Set();
}

export function modelLabel(data: Json, id: string): string {
  return data.models.find((m) => m.id === id)?.label ?? id;
}
