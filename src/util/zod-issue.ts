/**
 * The one formatter for zod validation problems: every schema-checked input (config, report data, export
 * metadata, method options) reports its first problem as one line, "<source>: <key.path>: <what was expected>".
 * Imports zod only for types, so the browser bundle (zod/mini) can use it.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

export interface DescribeOptions {
  /** The value that was validated: lets "expected number" say what it got instead. */
  input?: unknown;
  /** Keys allowed at a path (see zod-keys.ts): lets "unknown key" list them. */
  keysAt?: (path: readonly PropertyKey[]) => string[];
  /** Path of the validated value inside a larger document (prefixed to every path). */
  prefix?: PropertyKey[];
}

/** ['a', 0, 'b'] -> "a[0].b"; the root is "(top level)". */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$-]*$/.test(String(k)) ? `${i === 0 ? '' : '.'}${String(k)}` : `[${JSON.stringify(String(k))}]`))
    .join('');
}

/** JSON-ish type name of a value, for "expected number, got string". */
export function typeName(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  // NaN and Infinity are numbers to JavaScript, but "expected number, got number" helps nobody.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

function at(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((x, k) => (x !== null && typeof x === 'object' ? (x as Record<PropertyKey, unknown>)[k] : undefined), root);
}

/** One line for one issue: "<key.path>: <what was expected>". */
export function describeIssue(issue: Issue, opts: DescribeOptions = {}): string {
  const prefix = opts.prefix ?? [];
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'invalid_union': {
      // Branches that got inside the value (an unknown key, or a problem below it) explain more than "wrong
      // type": report the one with the fewest problems, its unknown keys first. None did: the value itself is wrong.
      const inside = issue.errors.filter((e) => e.some((i) => i.code === 'unrecognized_keys' || i.path.length > 0));
      const best = [...inside].sort((a, b) => a.length - b.length)[0];
      const first = best?.find((i) => i.code === 'unrecognized_keys') ?? best?.[0];
      if (first) return describeIssue({ ...first, path: [...issue.path, ...first.path] }, opts);
      return `${formatPath(path)}: unexpected value ${JSON.stringify(at(opts.input, issue.path))}`;
    }
    case 'unrecognized_keys': {
      const known = opts.keysAt?.(issue.path) ?? [];
      const hint = known.length ? ` (expected one of: ${known.join(', ')})` : issue.keys.length > 1 ? ` (also ${issue.keys.slice(1).join(', ')})` : '';
      return `${formatPath([...path, issue.keys[0]!])}: unknown key${hint}`;
    }
    case 'invalid_type': {
      const got = opts.input === undefined ? undefined : at(opts.input, issue.path);
      if (got === undefined && (opts.input !== undefined || / received undefined$/.test(issue.message))) return `${formatPath(path)}: missing (expected ${issue.expected})`;
      if (opts.input !== undefined) return `${formatPath(path)}: expected ${issue.expected}, got ${typeName(got)}`;
      break;
    }
    case 'too_big': case 'too_small': {
      // Say what was given beside the bound: "views: too big: expected number to be <=1000, got 2000000".
      const got = opts.input === undefined ? undefined : at(opts.input, issue.path);
      if (typeof got === 'number') return `${formatPath(path)}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}, got ${got}`;
      break;
    }
    default:
      break;
  }
  const msg = issue.message.replace(/^Invalid input: /, '').replace(/, received /, ', got ');
  return `${formatPath(path)}: ${msg.charAt(0).toLowerCase()}${msg.slice(1)}`;
}

/** The first problem of a failed parse as one line, with "(and N more problems)" when there are more. */
export function describeError(error: z.ZodError, opts: DescribeOptions & { countMore?: boolean } = {}): string {
  const issues = error.issues;
  const first = issues[0] ? describeIssue(issues[0], opts) : `${formatPath(opts.prefix ?? [])}: invalid`;
  const more = opts.countMore && issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return `${first}${more}`;
}
