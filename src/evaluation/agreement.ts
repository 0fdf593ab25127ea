/** Teacher-student agreement: do they decide the same way on the same inputs? */
import { UserError } from '../util/errors.js';
import type { NeighborResult } from './neighbors.js';
import { neighborOverlap } from './similarity.js';

/** Per-item 1/0: whether the two prediction arrays agree (for bootstrap CIs). */
export function agreementHits(a: Int32Array, b: Int32Array): Uint8Array {
  if (a.length !== b.length) throw new UserError(`agreement: ${a.length} vs ${b.length} predictions`);
  return Uint8Array.from(a, (v, i) => (v === b[i] ? 1 : 0));
}

/** Fraction of items on which two models predict the same class (top-1 agreement). NaN when empty. */
export function predictionAgreement(a: Int32Array, b: Int32Array): number {
  const hits = agreementHits(a, b);
  if (hits.length === 0) return NaN;
  let s = 0;
  for (const h of hits) s += h;
  return s / hits.length;
}

export interface RetrievalAgreement {
  /** Fraction of queries whose nearest bank item is the same in both spaces. */
  top1: number;
  /** Mean |N_k^T(q) ∩ N_k^S(q)| / k over queries. */
  topKOverlap: number;
  k: number;
  /** Per-query 1/0 for top-1 (for bootstrap CIs). */
  top1Hits: Uint8Array;
}

/**
 * Nearest-neighbour retrieval agreement between teacher and student: both searched the same bank (same
 * items, each in its own space) with the same queries.
 */
export function retrievalAgreement(teacher: NeighborResult, student: NeighborResult, k = Math.min(teacher.k, student.k)): RetrievalAgreement {
  const count = teacher.indices.length / teacher.k;
  if (count !== student.indices.length / student.k) throw new UserError('retrieval agreement: teacher and student searched different numbers of queries');
  const top1Hits = new Uint8Array(count);
  let s = 0;
  for (let i = 0; i < count; i++) {
    top1Hits[i] = teacher.indices[i * teacher.k] === student.indices[i * student.k] ? 1 : 0;
    s += top1Hits[i]!;
  }
  return { top1: count ? s / count : NaN, topKOverlap: neighborOverlap(teacher, student, k), k, top1Hits };
}
