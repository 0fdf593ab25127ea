/** Validates ReportData JSON against the schema and turns the first problem into a one-line UserError. */
import type { z } from 'zod';
import { UserError } from '../util/errors.js';
import { reportDataSchema, type ReportDataJson } from './types.js';

type Issue = z.core.$ZodIssue;

/** Parses report data; throws `UserError("<source>: <key.path>: <what was expected>")` on the first problem. */
export function parseReportData(value: unknown, source = 'report data'): ReportDataJson {
  const result = reportDataSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw new UserError(`${source}: ${describeIssue(issues[0]!)}${more}`);
}

/** "scorecard.sections[0].rows[1].cells.tintem.valeu: unknown key" and the like. */
export function describeIssue(issue: Issue, prefix: PropertyKey[] = []): string {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the branch that got furthest: fewest problems, unknown keys first (they usually explain the rest).
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
    const first = best.find((i) => i.code === 'unrecognized_keys') ?? best[0];
    if (first) return describeIssue(first, path);
  }
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return `${formatPath([...path, keys[0]!])}: unknown key${keys.length > 1 ? ` (also ${keys.slice(1).join(', ')})` : ''}`;
  }
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) return `${formatPath(path)}: missing (expected ${issue.expected})`;
  const message = issue.message.replace(/^Invalid input: /, '');
  return `${formatPath(path)}: ${message}`;
}

/** ['a', 0, 'b'] -> "a[0].b"; the root is "(top level)". */
export function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$-]*$/.test(String(k)) ? `${i === 0 ? '' : '.'}${String(k)}` : `[${JSON.stringify(String(k))}]`))
    .join('');
}
