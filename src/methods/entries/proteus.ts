/** Method `proteus`: Proteus-style feature matching (MSE through a student projector). Implementation: ../proteus.ts. */
import { defineMethod } from '../entry.js';
import { projectorTerms } from './projector-terms.js';

export const proteusMethod = defineMethod({
  name: 'proteus',
  summary: 'Proteus-style feature matching: a student projector (LN + Linear) trained by MSE to the teacher',
  terms: projectorTerms,
  options: {},
  async create(ctx, s) {
    const { createProteus } = await import('../proteus.js');
    return createProteus({ teacherDim: ctx.teacherDim, studentDim: ctx.studentDim, seed: ctx.seed, weights: s.weights });
  },
});
