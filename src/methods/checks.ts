/** Input checks shared by the methods: widths that do not match the configuration are the user's to fix. */
import type { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';

/** Throws a UserError unless the last axis of `x` has `width` entries. */
export function expectWidth(x: tf.Tensor, width: number, what: string): void {
  const got = x.shape[x.rank - 1];
  if (got !== width) throw new UserError(`${what}: expected features of width ${width}, got ${got}`);
}

/** Fills in default weights and rejects unknown keys (the message lists the valid ones). */
export function resolveWeights<K extends string>(method: string, defaults: Record<K, number>, given: Record<string, number> | undefined): Record<K, number> {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (!(key in defaults)) throw new UserError(`${method}: unknown loss weight '${key}' (expected one of ${Object.keys(defaults).join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new UserError(`${method}: loss weight '${key}' must be a finite number >= 0 (got ${value})`);
    out[key as K] = value;
  }
  return out;
}
