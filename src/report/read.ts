/** Loads a saved report-data.json, with one-line errors naming the file and the bad key. */
import { UserError } from '../util/errors.js';
import { MiB, readFileChecked } from '../util/safe-read.js';
import { unsealJsonText } from './seal.js';
import type { ReportDataJson } from './types.js';
import { parseReportData } from './validate.js';

/** `what` names the file in errors, e.g. "--data runs/x/report-data.json". */
export async function readReportData(path: string, what = path): Promise<ReportDataJson> {
  let text: string;
  try {
    text = readFileChecked(path, { what: 'report data', maxBytes: 512 * MiB }).toString('utf8');
  } catch (e) {
    const message = (e as Error).message;
    throw new UserError(`${what}: ${/ does not exist /.test(message) ? 'file not found' : / not a regular file /.test(message) ? 'expected a file' : message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  // Schema problems first (they say what is wrong), then the checksum (it says whether tintem wrote it as is).
  const sealed = value !== null && typeof value === 'object' && 'sha256' in value;
  if (sealed) delete (value as { sha256?: unknown }).sha256;
  const data = parseReportData(value, what);
  unsealJsonText(text, what);
  return data;
}
