/** The paper-claim grid's fixed parts, shared by bench/paper-claim.ts (runs a block) and bench/paper-claim-combine.ts (joins blocks). */
import type { ConvergenceRow, DatasetResult } from './paper-markdown.js';
import type { MetricAggregate } from './paper-metrics.js';

export const DATASETS = {
  mnist: { title: 'MNIST', train: 'mnist:train', test: 'mnist:test', crossOod: 'fashion:test' },
  fashion: { title: 'Fashion-MNIST', train: 'fashion:train', test: 'fashion:test', crossOod: 'mnist:test' },
} as const;
export type DatasetKey = keyof typeof DATASETS;

export const CONVERGENCE_RULE = 'a run of E epochs has converged when a whole run 1.5x as long from the same seed is no better on the probe: the 95% paired-bootstrap interval (400 resamples of the probe test images) of its kNN accuracy (k = 20) gain reaches 0 (src/training/converge.ts; docs/convergence.md); the interval half-width is the noise floor';

/** The key of one (teacherNorm, dataset) block in the results JSON: 'mnist', 'fashion-norm-center', ... */
export function blockKey(norm: string, dataset: DatasetKey): string {
  return norm === 'none' ? dataset : `${dataset}-norm-${norm}`;
}

export function blockTitle(norm: string, dataset: DatasetKey): string {
  return norm === 'none' ? DATASETS[dataset].title : `${DATASETS[dataset].title}, teacherNorm ${norm}`;
}

/** One seed of a block as the results JSON keeps it (raw[key][k]): what a block's table and Convergence rows are built from. */
export interface BlockSeed {
  seed: number;
  scorecard: { counts: { train: number; test: number; ood: Record<string, number> } };
  robustness?: { count: number; corruptions: readonly unknown[]; severities: number[] };
  runs: Record<string, { trainSeconds: number }>;
  convergence?: Record<string, { epochs: number; knn: number[]; converged: boolean }>;
}

/** A block's section of the results doc: its sets and sizes (from the first seed), its figures, mean training time per method. */
export function blockResult(norm: string, dataset: DatasetKey, seeds: BlockSeed[], metrics: MetricAggregate[], methods: string[]): DatasetResult {
  const first = seeds[0]!;
  return {
    key: blockKey(norm, dataset), title: blockTitle(norm, dataset), train: DATASETS[dataset].train, test: DATASETS[dataset].test,
    ood: Object.keys(first.scorecard.counts.ood), trainCount: first.scorecard.counts.train, testCount: first.scorecard.counts.test, oodCounts: first.scorecard.counts.ood,
    robustness: first.robustness ? { count: first.robustness.count, corruptions: first.robustness.corruptions.length, severities: first.robustness.severities } : undefined,
    metrics,
    trainSeconds: Object.fromEntries(methods.map((m) => [m, seeds.reduce((s, r) => s + (r.runs[m]?.trainSeconds ?? 0), 0) / seeds.length])),
  };
}

/** A block's Convergence rows: seed by seed, each method in training order. */
export function blockConvergenceRows(key: string, seeds: BlockSeed[]): ConvergenceRow[] {
  return seeds.flatMap((r) => Object.entries(r.convergence ?? {}).map(([method, c]) => ({ block: key, seed: r.seed, method, epochs: c.epochs, converged: c.converged, knn: c.knn })));
}

export function studentDescription(spec: Record<string, unknown>): string {
  return spec.kind === 'cnn'
    ? `the default ResNet-style CNN (${spec.inputSize} px, ${spec.channels} channel, stem ${spec.stemWidth}, widths ×${(spec.widthMultipliers as number[]).join('/×')})`
    : `the default ${String(spec.kind)}`;
}

/** One argument as a POSIX shell word, so a recorded command can be pasted back (e.g. a --machine-note with spaces). */
export function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** A command recorded before arguments were quoted: its trailing --machine-note value as one shell word. */
export function requoteMachineNote(command: string): string {
  return command.replace(/ --machine-note ([^'].*)$/, (_, note: string) => ` --machine-note ${shellWord(note)}`);
}

export interface NotesInput {
  trainLimit: number;
  epochs: number;
  trainings: number;
  evaluations: number;
  teacherNorms: string[];
  quick: boolean;
  /** `rule`: the rule the stored runs were judged by (older results: the flatness rule); default CONVERGENCE_RULE. */
  converge?: { maxEpochs: number; epochGrowth: number; probeTrain: number; probeTest: number; rule?: string };
}

/** The caveats printed under every results doc (docs/results.md and its parts). */
export function paperNotes(n: NotesInput): string[] {
  const budget = n.converge ? `at least ${n.epochs} epochs (until converged, at most ${n.converge.maxEpochs})` : `${n.epochs} epoch${n.epochs === 1 ? '' : 's'}`;
  const sizing = n.quick ? ' (a --quick smoke run: these numbers mean nothing)'
    : n.converge ? ''
      : ', sized so the whole run fits in about half an hour on a quiet 2-core CPU machine (under heavy contention from other jobs one (dataset, seed) took 8 min instead of about 3)';
  return [
    `Budget: ${n.trainLimit} training images × ${budget} per student for all ${n.trainings} trainings and ${n.evaluations} evaluations${sizing}. The paper trains far larger students for far longer on ImageNet-scale data; absolute numbers here are not comparable to it, only the ranking of methods at an equal, small budget.`,
    'relational (PKT) optimises the student\'s own pairwise-similarity distribution towards the teacher\'s, which is close to what the similarity, neighbour-agreement and OOD-score-Spearman figures measure; TinTeM applies a similar KL only to its teacher head and then asks the student to match h(t) pointwise.',
    `Teacher-feature normalisation: ${n.teacherNorms.join(', ')} (a setting other than none is its own block of results; the teacher row then shows the normalised teacher features the students were trained against).`,
    ...(n.converge
      ? [`Convergence rule (--converge): ${n.converge.rule ?? CONVERGENCE_RULE}, on a probe of ${n.converge.probeTrain} training / ${n.converge.probeTest} test images; runs that missed it were retrained with x${n.converge.epochGrowth} epochs up to ${n.converge.maxEpochs} (per run: the Convergence table).`]
      : ['Students were trained for a fixed number of epochs (no convergence rule: run with --converge for it).']),
    'The teacher row is identical for every seed (same images, frozen teacher, same evaluation seed), so its std is 0.',
    'OOD AUROC/FPR/AUPR are ranked "higher AUROC is better" as in the scorecard; for faithfulness the closer figure is the score Spearman vs teacher, and the teacher row shows the target.',
    'Where every model sits at the ceiling (e.g. AUROC 100% against photos or noise), a figure can only tie.',
    'Pairwise-cosine mean |diff| compares raw cosine values, not their ranking: a student can follow the teacher\'s similarity ranking closely (high Pearson/Spearman) yet sit at a different cosine scale, which this figure penalises.',
    'mCE is relative to the teacher (CE = student error / teacher error, summed over severities), so the teacher has no mCE row.',
  ];
}
