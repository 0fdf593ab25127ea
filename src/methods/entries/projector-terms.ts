/** The loss terms the projector baselines (proteus, cosine) share. */
export const projectorTerms = {
  pooled: { weight: 1, help: 'projected student pooled vs teacher pooled' },
  tokens: { weight: 1, help: 'projected student tokens vs teacher tokens' },
};
