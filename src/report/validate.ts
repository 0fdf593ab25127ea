/** Validates ReportData JSON against the schema and turns the first problem into a one-line UserError. */
import { UserError } from '../util/errors.js';
import { describeError } from '../util/zod-issue.js';
import { keysIn } from '../util/zod-keys.js';
import { reportDataSchema, type ReportDataJson } from './types.js';

export { describeIssue, formatPath } from '../util/zod-issue.js';

/** Parses report data; throws `UserError("<source>: <key.path>: <what was expected>")` on the first problem. */
export function parseReportData(value: unknown, source = 'report data'): ReportDataJson {
  const result = reportDataSchema.safeParse(value);
  if (result.success) return result.data;
  throw new UserError(`${source}: ${describeError(result.error, { input: value, keysAt: keysIn(reportDataSchema), countMore: true })}`);
}
