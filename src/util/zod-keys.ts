/** The keys an object schema allows at a path, through zod's public classic API (for "unknown key" hints). */
import { z } from 'zod';

/** Strips defaults, optionals, prefaults and pipes (public zod API) down to the schema that holds the shape. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  for (let i = 0; i < 16 && s; i++) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else if (s instanceof z.ZodUnion) s = (s.options as z.ZodType[]).map(unwrap).find((o) => o instanceof z.ZodObject);
    else break;
  }
  return s;
}

/** Keys an object schema accepts at `path`, for "unknown key" messages. */
export function knownKeys(schema: z.ZodType | undefined, path: readonly PropertyKey[]): string[] {
  let s = unwrap(schema);
  for (const key of path) {
    s = s instanceof z.ZodObject ? unwrap((s.shape as Record<string, z.ZodType>)[String(key)]) : undefined;
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** `keysAt` for describeIssue: the keys `schema` allows at a path. */
export function keysIn(schema: z.ZodType): (path: readonly PropertyKey[]) => string[] {
  return (path) => knownKeys(schema, path);
}
