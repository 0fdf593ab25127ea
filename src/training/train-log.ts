/** The per-step JSONL training log (runDir/train.jsonl): one StepRecord per line, appended as training runs. */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { fileError, writeFileAtomicSync } from '../util/atomic.js';
import type { StepRecord } from './checkpoint.js';

export function appendStep(path: string, record: StepRecord): void {
  try {
    appendFileSync(path, `${JSON.stringify(record)}\n`);
  } catch (e) {
    throw fileError(path, e, 'could not append to the training log'); // ENOSPC alone names no file
  }
}

/**
 * Keeps only the records up to global step `lastStep` (the checkpoint's), so that after a resume the log
 * holds exactly one line per step of the run. Unparseable (torn) lines are dropped.
 */
export function truncateLog(path: string, lastStep: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8').split('\n').filter((line) => {
    if (!line.trim()) return false;
    try {
      return (JSON.parse(line) as StepRecord).step <= lastStep;
    } catch {
      return false;
    }
  });
  writeFileAtomicSync(path, kept.map((l) => `${l}\n`).join(''));
}

/** All complete records; a torn last line (a run killed mid-append and never resumed) is left out. */
export function readLog(path: string): StepRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).flatMap((l) => {
    try {
      return [JSON.parse(l) as StepRecord];
    } catch {
      return [];
    }
  });
}
