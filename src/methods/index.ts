/** Distillation methods by name: TinTeM and the baselines it is compared with. */
import { UserError } from '../util/errors.js';
import { createCosine } from './cosine.js';
import { createLogitKd } from './logitKd.js';
import { createProteus } from './proteus.js';
import { createRelational } from './relational.js';
import { createTintem } from './tintem.js';
import type { DistillMethod } from './types.js';

export type MethodName = 'tintem' | 'proteus' | 'cosine' | 'relational' | 'logit-kd';
export const methodNames: readonly MethodName[] = ['tintem', 'proteus', 'cosine', 'relational', 'logit-kd'];

export interface CreateMethodOptions {
  teacherDim: number;
  studentDim: number;
  /** Whether the teacher gives a token map (enables TinTeM's local terms). */
  teacherTokens: boolean;
  /** Class count of the teacher's logits (logit-kd only). */
  numClasses?: number;
  seed: number;
  /** Loss-term weights by term name (tintem: headGlobal, headLocal, studentPooled, studentTokens; proteus/cosine:
   * pooled, tokens; relational: relational; logit-kd: kd). Unknown names are a UserError. */
  weights?: Record<string, number>;
  /** TinTeM temperatures (default 0.01..0.10). */
  taus?: number[];
}

/**
 * Version of the loss formulas. 2: TinTeM, Proteus and PKT as the authors compute them (log-space affinities,
 * token 0 in the local and token terms, Proteus' two projectors, PKT's diagonal). Runs and checkpoints without
 * it were made with version 1 and cannot resume under version 2.
 */
export const LOSS_VERSION = 2;

export function isMethodName(name: string): name is MethodName {
  return (methodNames as readonly string[]).includes(name);
}

export function createMethod(name: MethodName, opts: CreateMethodOptions): DistillMethod {
  const { teacherDim, studentDim, seed, weights } = opts;
  switch (name) {
    case 'tintem':
      return createTintem({ teacherDim, studentDim, seed, weights, taus: opts.taus, local: opts.teacherTokens });
    case 'proteus':
      return createProteus({ teacherDim, studentDim, seed, weights });
    case 'cosine':
      return createCosine({ teacherDim, studentDim, seed, weights });
    case 'relational':
      return createRelational({ teacherDim, studentDim, weights });
    case 'logit-kd':
      if (opts.numClasses === undefined) throw new UserError('method logit-kd: the number of teacher classes is unknown; it needs a teacher with logits');
      return createLogitKd({ studentDim, numClasses: opts.numClasses, seed, weights });
    default:
      throw new UserError(`method: unknown method '${String(name)}' (expected one of ${methodNames.join(', ')})`);
  }
}

export { createTintem, prefitHead, pcaInitHead, type TintemMethod, type TintemWeights } from './tintem.js';
export { createProteus, type ProjectorMethod } from './proteus.js';
export { createCosine } from './cosine.js';
export { createRelational } from './relational.js';
export { createLogitKd, type LogitKdMethod } from './logitKd.js';
export type { DistillMethod, LossTerms, TeacherFeatures } from './types.js';
