/** The per-step JSONL training log (runDir/train.jsonl): one StepRecord per line, appended as training runs. */
import { appendFileSync, existsSync } from 'node:fs';
import { fileError, writeFileAtomicSync } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';
import { GiB, readTextChecked } from '../util/safe-read.js';
import type { StepRecord } from './checkpoint.js';

/** The largest log read (a line is a few hundred bytes: millions of steps). */
const MAX_LOG_BYTES = GiB;

export function appendStep(path: string, record: StepRecord): void {
  try {
    appendFileSync(path, `${JSON.stringify(record)}\n`);
  } catch (e) {
    throw fileError(path, e, 'could not append to the training log'); // ENOSPC alone names no file
  }
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function isRecord(x: unknown): x is StepRecord {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const r = x as Record<string, unknown>;
  const terms = r.terms as Record<string, unknown> | null;
  return Number.isSafeInteger(r.step) && (r.step as number) >= 1 && Number.isSafeInteger(r.epoch) && (r.epoch as number) >= 0
    && isNumber(r.lr) && isNumber(r.loss) && terms !== null && typeof terms === 'object' && !Array.isArray(terms) && Object.values(terms).every(isNumber);
}

/**
 * The records of a log's text. Only the end of the last line may be torn (a run killed mid-append writes a line
 * without its newline): that line is left out. Any other line that is not a training record, or a step that does
 * not follow the one before, is damage or an edit, and is refused with the line number rather than dropped.
 */
export function parseLog(text: string, path: string): StepRecord[] {
  return parseLines(text, path).map((l) => l.record);
}

function parseLines(text: string, path: string): Array<{ record: StepRecord; line: string }> {
  const lines = text.split('\n');
  const torn = lines.pop(); // '' when the text ends with a newline
  const out: Array<{ record: StepRecord; line: string }> = [];
  lines.forEach((line, i) => {
    let record: unknown;
    try { record = JSON.parse(line); } catch { record = undefined; }
    if (!isRecord(record)) throw new UserError(`${quoteName(path)}: line ${i + 1} is not a training record; the log was edited or damaged (restore it, or start a fresh --run-dir)`);
    const prev = out.at(-1)?.record;
    if (prev && record.step <= prev.step) throw new UserError(`${quoteName(path)}: line ${i + 1} is step ${record.step}, after step ${prev.step}; the log was edited or damaged (restore it, or start a fresh --run-dir)`);
    out.push({ record, line });
  });
  if (torn !== undefined && torn.length > 0) {
    // A complete record with a missing newline is kept only when it would parse; a torn one is simply not there.
    let record: unknown;
    try { record = JSON.parse(torn); } catch { record = undefined; }
    if (isRecord(record) && (out.at(-1)?.record.step ?? 0) < record.step) out.push({ record, line: torn });
  }
  return out;
}

function readLogText(path: string): string {
  return readTextChecked(path, { what: 'training log', maxBytes: MAX_LOG_BYTES });
}

/**
 * Keeps only the records up to global step `lastStep` (the checkpoint's), so that after a resume the log
 * holds exactly one line per step of the run. A torn last line is dropped; any other bad line is refused.
 */
export function truncateLog(path: string, lastStep: number): void {
  if (!existsSync(path)) return;
  const kept = parseLines(readLogText(path), path).filter((l) => l.record.step <= lastStep);
  writeFileAtomicSync(path, kept.map((l) => `${l.line}\n`).join(''));
}

/** All complete records; a torn last line (a run killed mid-append and never resumed) is left out. */
export function readLog(path: string): StepRecord[] {
  if (!existsSync(path)) return [];
  return parseLog(readLogText(path), path);
}
