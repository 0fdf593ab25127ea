/** Scorecard logic shared by the HTML and Markdown renderers: column order, cell text, best student per row. */
import { DASH, fmt, isNum } from './format.js';
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

/** Formats a cell; the ± is half the CI width (CIs are shown exactly in `detail`). */
export function formatCell(cell: Cell | undefined, format: ScoreRowJson['format'] = 'decimal'): CellText {
  if (!cell) return { text: DASH, skipped: false };
  if ('skipped' in cell) return { text: 'skipped', detail: cell.skipped, skipped: true };
  const scale = format === 'percent' ? 100 : 1;
  const digits = format === 'percent' ? 1 : 3;
  const suffix = format === 'percent' ? '%' : '';
  if (!isNum(cell.value)) return { text: DASH, skipped: false };
  let text = fmt(cell.value * scale, digits) + suffix;
  let detail: string | undefined;
  if (isNum(cell.lo) && isNum(cell.hi)) {
    text += ` ± ${fmt(((cell.hi - cell.lo) / 2) * scale, digits)}`;
    detail = `95% CI [${fmt(cell.lo * scale, digits)}${suffix}, ${fmt(cell.hi * scale, digits)}${suffix}]`;
  }
  return { text, detail, skipped: false };
}

/** Ids of the best student(s) in a row (ties all win); empty when fewer than one student has a value. */
export function bestStudents(row: ScoreRowJson, columns: string[], data: Json): Set<string> {
  const students = new Set(data.models.filter((m) => m.role === 'student').map((m) => m.id));
  let best: number | null = null;
  const winners = new Set<string>();
  for (const id of columns) {
    if (!students.has(id)) continue;
    const v = cellValue(row.cells[id]);
    if (v === null) continue;
    const better = best === null || (row.higherIsBetter ? v > best + 1e-12 : v < best - 1e-12);
    if (better) { best = v; winners.clear(); winners.add(id); }
    else if (Math.abs(v - best!) <= 1e-12) winners.add(id);
  }
  return winners;
}

export function modelLabel(data: Json, id: string): string {
  return data.models.find((m) => m.id === id)?.label ?? id;
}
