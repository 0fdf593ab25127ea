/** Method `cosine`: cosine projector baseline. Implementation: ../cosine.ts. */
import { defineMethod } from '../entry.js';
import { projectorTerms } from './projector-terms.js';

export const cosineMethod = defineMethod({
  name: 'cosine',
  summary: 'cosine projector: a student projector trained to maximise cosine similarity to the teacher',
  terms: projectorTerms,
  options: {},
  async create(ctx, s) {
    const { createCosine } = await import('../cosine.js');
    return createCosine({ teacherDim: ctx.teacherDim, studentDim: ctx.studentDim, seed: ctx.seed, weights: s.weights });
  },
});
