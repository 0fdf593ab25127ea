/** Shared parsing of command-line values: every bad value is a one-line UserError naming the option. */
import { CORRUPTION_NAMES, isCorruptionName, type CorruptionName } from '../robustness/params.js';
import { studentPresetNames } from '../students/registry.js';
import { UserError } from '../util/errors.js';

/** Help of `--student <name>` on every command that builds a student (the names come from the student registry). */
export function studentOptionHelp(extra = ''): string {
  return `student by name: ${studentPresetNames().join(', ')} (default cnn${extra})`;
}

/** Parses an integer option in [min, max]; undefined stays undefined. */
export function intOption(name: string, value: string | undefined, min: number, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    const bounds = max < Infinity ? ` from ${min} to ${max}` : min > -Infinity ? ` >= ${min}` : '';
    throw new UserError(`${name}: expected an integer${bounds}, got '${value}'`);
  }
  return n;
}

/** Parses a finite number option (>= min); undefined stays undefined. */
export function numberOption(name: string, value: string | undefined, min = -Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) {
    throw new UserError(`${name}: expected a number${min > -Infinity ? ` >= ${min}` : ''}, got '${value}'`);
  }
  return n;
}

/** A commander argument parser for a finite number option (>= min). */
export function numberArg(name: string, min = -Infinity): (value: string) => number {
  return (value) => numberOption(name, value, min)!;
}

/** A commander argument parser for an integer option in [min, max]. */
export function intArg(name: string, min: number, max = Infinity): (value: string) => number {
  return (value) => intOption(name, value, min, max)!;
}

/** 'a,b,c' or 'all' -> corruption names (deduplicated, validated). */
export function parseCorruptionList(value: string | undefined, option = '--corruptions'): CorruptionName[] {
  if (value === undefined || value === 'all') return [...CORRUPTION_NAMES];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UserError(`${option}: expected a comma-separated list of ${CORRUPTION_NAMES.join(', ')} (or 'all')`);
  for (const n of names) {
    if (!isCorruptionName(n)) throw new UserError(`${option}: unknown corruption '${n}' (expected one of ${CORRUPTION_NAMES.join(', ')})`);
  }
  return [...new Set(names as CorruptionName[])];
}

/** '1,3,5' -> sorted distinct severities in 1..5. */
export function parseSeverityList(value: string, option = '--severities'): number[] {
  const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new UserError(`${option}: expected a comma-separated list of integers 1..5, got '${value}'`);
  return [...new Set(parts.map((p) => intOption(option, p, 1, 5)!))].sort((a, b) => a - b);
}

/** 'a, b,c' -> ['a', 'b', 'c']. */
export function parseList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * --teacher-preset and repeated --teacher-option key=value (the keys of a teacher spec's '#' options) as
 * teacher options; undefined when none is given. Loads the teachers module only when used.
 */
export async function teacherOptionsFromFlags(preset: string | undefined, options: string[] = []): Promise<import('../teachers/options.js').TeacherOptions | undefined> {
  if (preset === undefined && options.length === 0) return undefined;
  const { setTeacherOption } = await import('../teachers/options.js');
  const out = {};
  if (preset !== undefined) setTeacherOption(out, 'preset', preset, '--teacher-preset');
  for (const o of options) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new UserError(`--teacher-option: expected key=value (e.g. registers=4), got '${o}'`);
    setTeacherOption(out, o.slice(0, eq).trim(), o.slice(eq + 1).trim(), '--teacher-option');
  }
  return out;
}
