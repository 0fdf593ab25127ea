/** Method `tintem` (the paper): a teacher head compresses the teacher, the student learns h(teacher(x)). Implementation: ../tintem.ts. */
import { z } from 'zod';
import { DEFAULT_TAUS } from '../defaults.js';
import { defineMethod } from '../entry.js';

const prefitSchema = z.strictObject({
  epochs: z.number().int().positive().default(5).describe('pre-fit epochs'),
  batchSize: z.number().int().min(2).default(256).describe('pre-fit batch size'),
  lr: z.number().positive().default(1e-3).describe('pre-fit learning rate (Adam)'),
});

export const tintemMethod = defineMethod({
  name: 'tintem',
  summary: 'Teacher in the Middle: a teacher head h compresses the teacher, the student learns h(teacher(x)) (the paper)',
  terms: {
    headGlobal: { weight: 1, help: "head: affinity KL between h(teacher) and the teacher across the batch" },
    headLocal: { weight: 1, help: "head: affinity KL within each image's tokens" },
    studentPooled: { weight: 1, help: 'student pooled vs h(teacher pooled)' },
    studentTokens: { weight: 1, help: 'student tokens vs h(teacher tokens)' },
  },
  options: {
    taus: z.array(z.number().positive()).min(1).default([...DEFAULT_TAUS]).describe('temperatures the head losses average over'),
    prefitHead: z.union([prefitSchema, z.literal(false)]).default(false)
      .describe('pre-fit the teacher head on cached embeddings before training (the paper trains all jointly: off)'),
    pcaInit: z.boolean().default(false).describe("initialise the head's Linear from the top principal directions of the teacher embeddings"),
  },
  async create(ctx, s) {
    const { createTintem } = await import('../tintem.js');
    return createTintem({ teacherDim: ctx.teacherDim, studentDim: ctx.studentDim, seed: ctx.seed, weights: s.weights, taus: s.taus, local: ctx.teacherTokens });
  },
  async prepare(method, e, s) {
    if (!s.pcaInit && !s.prefitHead) return;
    const { pcaInitHead, prefitHead } = await import('../tintem.js');
    const { info } = await import('../../util/log.js');
    const tintem = method as import('../tintem.js').TintemMethod;
    if (s.pcaInit) pcaInitHead(tintem, e.pooled, e.count);
    if (s.prefitHead) {
      const r = prefitHead(tintem, e.pooled, e.tokens, { ...s.prefitHead, seed: e.seed });
      info(`prefit head: loss ${r.epochLosses.map((l) => l.toFixed(4)).join(' -> ')}`);
    }
  },
});
