/** Number and text formatting shared by the HTML and Markdown renderers. Missing or non-finite numbers show as "—". */

export const DASH = '—';

export function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** A number with `digits` decimals (more for tiny magnitudes), or "—". */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (!isNum(x)) return DASH;
  if (x !== 0 && Math.abs(x) < 10 ** -digits) return x.toExponential(1);
  return x.toFixed(digits);
}

/** An integer count with thousands separators (parameters), or "—". */
export function fmtCount(x: number | null | undefined): string {
  if (!isNum(x)) return DASH;
  return Math.round(x).toLocaleString('en-US');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Escapes characters that would break a Markdown table cell. */
export function escapeMdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
