/** Method `relational`: PKT-style relational distillation. Implementation: ../relational.ts. */
import { defineMethod } from '../entry.js';

export const relationalMethod = defineMethod({
  name: 'relational',
  summary: "PKT-style relational distillation: match the batch's cosine-similarity distributions",
  terms: { relational: { weight: 1, help: 'KL between teacher and student similarity distributions' } },
  options: {},
  async create(ctx, s) {
    const { createRelational } = await import('../relational.js');
    return createRelational({ teacherDim: ctx.teacherDim, studentDim: ctx.studentDim, weights: s.weights });
  },
});
