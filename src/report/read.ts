/** Loads a saved report-data.json, with one-line errors naming the file and the bad key. */
import { readFile } from 'node:fs/promises';
import { UserError } from '../util/errors.js';
import type { ReportDataJson } from './types.js';
import { parseReportData } from './validate.js';

/** `what` names the file in errors, e.g. "--data runs/x/report-data.json". */
export async function readReportData(path: string, what = path): Promise<ReportDataJson> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${what}: ${code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'expected a file, found a directory' : `cannot read (${code ?? String(e)})`}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return parseReportData(value, what);
}
