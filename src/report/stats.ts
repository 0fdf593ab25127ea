/** Correlations shown on the similarity scatter plots: the evaluation's own definitions, so the numbers agree. */
export { pearson, spearman } from '../evaluation/stats.js';
