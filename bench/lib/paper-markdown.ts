/** Renders the paper-claim aggregate as docs/results.md: setup, one table per dataset, wins/ties/losses, command. */
import { MIN_DIFFERENCE, TEACHER, type MetricAggregate, type Outcome, type Stat } from './paper-metrics.js';

export interface DatasetResult {
  key: string;
  title: string;
  train: string;
  test: string;
  ood: string[];
  trainCount: number;
  testCount: number;
  oodCounts: Record<string, number>;
  robustness?: { count: number; corruptions: number; severities: number[] };
  metrics: MetricAggregate[];
  /** Mean training seconds per method (over seeds). */
  trainSeconds: Record<string, number>;
}

export interface ResultsDoc {
  command: string;
  date: string;
  wallSeconds: number;
  backend: string;
  machine: string;
  teacher: { spec: string; id: string; embedDim: number; tokenCount: number };
  student: { description: string; params: number; embedDim: number };
  methods: string[];
  seeds: number[];
  evalSeed: number;
  epochs: number;
  trainCount: number;
  outDir: string;
  batchSize: number;
  lr: number;
  weightDecay: number;
  datasets: DatasetResult[];
  notes: string[];
  /** Where the raw scorecards and aggregates of this run are (the JSON written beside this doc). */
  resultsPath: string;
  /** A sentence saying which part of the full grid this run covers, when it covers only part of it. */
  scope?: string;
  /** --converge: one row per training run, with the rule it was held to. */
  convergence?: { rule: string; probe: string; rows: ConvergenceRow[] };
  /** Set when the grid was joined from separate runs (bench/paper-claim-combine.ts): one entry per run, in order. */
  parts?: ResultsPart[];
  /** Fixed-budget grids: one row per training run (its epochs and training time). */
  runs?: RunRow[];
  /** bench/paper-claim-combine.ts --compare: how each block's verdicts moved against an earlier grid of the same blocks. */
  moved?: { against: string; blocks: VerdictMove[] };
}

/** One training run of a fixed-budget grid. */
export interface RunRow { block: string; seed: number; method: string; epochs: number; trainSeconds: number }

/** One block x baseline of a --compare: the win / tie / loss counts before and now, and every figure whose outcome changed. */
export interface VerdictMove {
  block: string;
  baseline: string;
  before: Record<Outcome, number>;
  now: Record<Outcome, number>;
  changes: Array<{ figure: string; before: Outcome; now: Outcome }>;
  /** Figures in both grids. */
  common: number;
}

/** One separately run block of a joined grid; command, date, wall time and machine are that run's own. */
export interface ResultsPart { blocks: string[]; doc: string; command: string; date: string; wallSeconds: number; machine: string }

function partsSection(parts: ResultsPart[]): string[] {
  const total = parts.reduce((s, p) => s + p.wallSeconds, 0);
  return [`- Run as ${parts.length} separate blocks, one after another, ${(total / 60).toFixed(1)} min of wall time in all:`, '',
    '| block | its own doc | wall time | date | machine |', '| --- | --- | ---: | --- | --- |',
    ...parts.map((p) => `| ${p.blocks.join(', ')} | ${docLink(p.doc)} | ${(p.wallSeconds / 60).toFixed(1)} min | ${p.date} | ${p.machine} |`), ''];
}

/** A link from docs/results.md to another file in docs/. */
export function docLink(doc: string): string {
  const name = doc.replace(/^docs\//, '');
  return `[${name}](${name})`;
}

export interface ConvergenceRow { block: string; seed: number; method: string; epochs: number; converged: boolean; knn: number[] }

function convergenceSection(c: NonNullable<ResultsDoc['convergence']>): string[] {
  const lines = ['## Convergence', '', `Rule: ${c.rule}, measured after every epoch on ${c.probe}. A run that missed it`,
    'was trained again from scratch with more epochs (each with its own warm-up + cosine schedule). One row per student:', '',
    '| block | seed | method | epochs | kNN at the last three epochs (%) | converged |', '| --- | ---: | --- | ---: | --- | --- |'];
  for (const r of c.rows) {
    lines.push(`| ${r.block} | ${r.seed} | ${r.method} | ${r.epochs} | ${r.knn.slice(-3).map((a) => (100 * a).toFixed(1)).join(', ')} | ${r.converged ? 'yes' : '**no**'} |`);
  }
  const missed = c.rows.filter((r) => !r.converged).length;
  lines.push('', missed === 0 ? `All ${c.rows.length} students met the rule.` : `${missed} of ${c.rows.length} students did **not** meet the rule by the epoch limit.`, '');
  return lines;
}

function runsSection(rows: RunRow[]): string[] {
  const total = rows.reduce((a, r) => a + r.trainSeconds, 0);
  const epochs = [...new Set(rows.map((r) => r.epochs))];
  const lines = ['## Runs', '', `Every student was trained for ${epochs.length === 1 ? `the same ${epochs[0]} epochs` : `${epochs.join(' / ')} epochs`} (no convergence rule chose the budget); `
    + `${rows.length} trainings, ${(total / 60).toFixed(1)} min of training time in all. One row per student:`, '',
    '| block | seed | method | epochs | training time |', '| --- | ---: | --- | ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.block} | ${r.seed} | ${r.method} | ${r.epochs} | ${r.trainSeconds.toFixed(0)} s |`);
  lines.push('');
  return lines;
}

function movedSection(m: NonNullable<ResultsDoc['moved']>): string[] {
  const fmt = (c: Record<Outcome, number>) => `${c.win} / ${c.tie} / ${c.loss}`;
  const changed = m.blocks.reduce((a, b) => a + b.changes.length, 0);
  const cells = m.blocks.reduce((a, b) => a + b.common, 0);
  const lines = ['## How the verdicts moved', '', `Against ${m.against}. ${changed} of ${cells} figure × baseline verdicts changed; `
    + 'wins / ties / losses before -> now:', '', '| block | baseline | before (W / T / L) | now (W / T / L) | changed |', '| --- | --- | --- | --- | ---: |'];
  for (const b of m.blocks) lines.push(`| ${b.block} | ${b.baseline} | ${fmt(b.before)} | ${fmt(b.now)} | ${b.changes.length} |`);
  lines.push('', 'Every verdict that changed (TinTeM against the baseline; before -> now):', '');
  for (const b of m.blocks) {
    if (b.changes.length === 0) continue;
    lines.push(`- **${b.block}, vs ${b.baseline}**: ${b.changes.map((c) => `${c.figure} (${c.before} -> ${c.now})`).join('; ')}.`);
  }
  lines.push('');
  return lines;
}

/** A figure's name in prose: OOD figures carry their set. */
export function figureName(m: MetricAggregate): string {
  return m.section.startsWith('OOD') ? `${m.label} [${m.section.replace('OOD detection: ', '')}]` : m.label;
}

const METHOD_NOTES: Record<string, string> = {
  tintem: 'TinTeM: a teacher head h (LayerNorm + Linear, teacher -> student width) trained with the cosine-structure KL losses (global and per-image over tokens); the student learns 1 - cos to stopgrad(h(t)), pooled and per token',
  proteus: 'proteus: a student-side projector (LayerNorm + Linear) regresses the raw teacher features by MSE, pooled and per token',
  cosine: 'cosine: the same projector with 1 - cos to the raw teacher features, pooled and per token',
  relational: 'relational: PKT (Passalis & Tefas 2018), KL between the teacher\'s and the student\'s row-normalised pairwise-cosine distributions on pooled embeddings, no projector and no tokens',
};

function fmtValue(v: number | null, percent: boolean): string {
  if (v === null) return 'n/a';
  return percent ? (100 * v).toFixed(1) : v.toFixed(3);
}

function fmtStat(s: Stat | undefined, percent: boolean): string {
  if (!s || s.mean === null) return '—';
  return `${fmtValue(s.mean, percent)} ± ${fmtValue(s.std, percent)}`;
}

function fmtDiff(d: number, percent: boolean): string {
  const v = percent ? 100 * d : d;
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(percent ? 1 : 3)}`;
}

const MARK: Record<Outcome, string> = { win: 'win', tie: 'tie', loss: '**loss**' };

function datasetSection(ds: DatasetResult, methods: string[]): string[] {
  const baselines = methods.filter((m) => m !== 'tintem');
  const lines: string[] = [`## ${ds.title}`, ''];
  const oodDesc = ds.ood.map((o) => `${o} (${ds.oodCounts[o] ?? '?'})`).join(', ');
  lines.push(
    `Train \`${ds.train}\` (first ${ds.trainCount}), test \`${ds.test}\` (first ${ds.testCount}), OOD: ${oodDesc}.`
    + (ds.robustness ? ` Robustness: first ${ds.robustness.count} test images × ${ds.robustness.corruptions} corruptions × severities ${ds.robustness.severities.join(', ')}.` : ''),
    `Mean training time per run: ${methods.map((m) => `${m} ${(ds.trainSeconds[m] ?? 0).toFixed(0)} s`).join(', ')}.`,
    '',
    'Mean ± std over seeds; percentages for accuracies, agreement and OOD rates. ↑ higher is better, ↓ lower is better. '
    + 'Columns after the methods: TinTeM against each baseline (difference of means, TinTeM − baseline, and the outcome).',
    '',
  );
  const head = ['Metric', '', 'teacher', ...methods, ...baselines.map((b) => `vs ${b}`)];
  let section = '';
  for (const m of ds.metrics) {
    if (m.section !== section) {
      section = m.section;
      lines.push('', `**${section}**`, '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`);
    }
    const cells = [m.label, m.higherIsBetter ? '↑' : '↓', m.models[TEACHER] ? fmtStat(m.models[TEACHER], m.percent) : '(ref)'];
    for (const method of methods) cells.push(fmtStat(m.models[method], m.percent));
    for (const b of baselines) {
      const c = m.comparisons.find((x) => x.baseline === b);
      cells.push(c ? `${fmtDiff(c.meanDiff, m.percent)} ${MARK[c.outcome]}` : '—');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', `### Where TinTeM wins, ties and loses on ${ds.title}`, '');
  for (const b of baselines) {
    const by = (o: Outcome) => ds.metrics.filter((m) => m.comparisons.some((c) => c.baseline === b && c.outcome === o));
    const name = figureName;
    const wins = by('win'), ties = by('tie'), losses = by('loss');
    lines.push(`- **vs ${b}**: ${counted(wins.length, 'win')}, ${counted(ties.length, 'tie')}, ${counted(losses.length, 'loss')}.`
      + (wins.length ? ` Wins: ${wins.map(name).join('; ')}.` : ' No wins.')
      + (losses.length ? ` Losses: ${losses.map(name).join('; ')}.` : ' No losses.'));
  }
  return lines;
}

/** '1 win', '2 wins', '1 loss', '3 losses'. */
function counted(k: number, word: 'win' | 'tie' | 'loss'): string {
  return `${k} ${word}${k === 1 ? '' : word === 'loss' ? 'es' : 's'}`;
}

function countOutcome(metrics: MetricAggregate[], baseline: string, o: Outcome): number {
  return metrics.filter((m) => m.comparisons.some((c) => c.baseline === baseline && c.outcome === o)).length;
}

/** One plain sentence per baseline over both datasets, and which student most often comes closest. */
function headline(doc: ResultsDoc): string[] {
  const all = doc.datasets.flatMap((d) => d.metrics);
  const baselines = doc.methods.filter((m) => m !== 'tintem');
  const parts = baselines.map((b) => `${counted(countOutcome(all, b, 'win'), 'win')} / ${counted(countOutcome(all, b, 'tie'), 'tie')} / ${counted(countOutcome(all, b, 'loss'), 'loss')} against ${b}`);
  const best: Record<string, number> = {};
  for (const m of all) { const w = bestStudent(m, doc.methods); best[w] = (best[w] ?? 0) + 1; }
  const ranked = Object.entries(best).filter(([k]) => k !== 'nobody').sort((a, b) => b[1] - a[1]);
  const lines = [`Over all ${all.length} figure × dataset cells, TinTeM has ${parts.join('; ')}.`];
  if (ranked[0]) lines.push(`The student with the best mean is most often **${ranked[0][0]}** (${ranked[0][1]} of ${all.length} cells; ${ranked.slice(1).map(([k, v]) => `${k} ${v}`).join(', ') || 'no other method'}${best.nobody ? `; ${best.nobody} cells with no clear best` : ''}).`);
  return [lines.join(' '), ''];
}

/** OOD rows where a student beats the teacher's own AUROC: there "higher is better" rewards departing from the teacher. */
export function aboveTeacherNotes(doc: ResultsDoc): string[] {
  const notes: string[] = [];
  for (const ds of doc.datasets) {
    for (const m of ds.metrics.filter((x) => x.id.endsWith('.auroc'))) {
      const t = m.models[TEACHER]?.mean;
      if (t === null || t === undefined) continue;
      const above = doc.methods.filter((x) => (m.models[x]?.mean ?? -Infinity) > t + 0.01);
      if (above.length === 0) continue;
      notes.push(`${ds.title}, ${m.section.replace('OOD detection: ', 'OOD set ')}, ${m.label}: the teacher scores ${(100 * t).toFixed(1)}% and ${above.map((x) => `${x} ${(100 * m.models[x]!.mean!).toFixed(1)}%`).join(', ')} score higher. `
        + 'A student that detects this set better than its teacher is not following the teacher there, so on this row a higher AUROC is not more faithful; the score Spearman row is the faithfulness figure.');
    }
  }
  return notes;
}

function overall(doc: ResultsDoc): string[] {
  const baselines = doc.methods.filter((m) => m !== 'tintem');
  const head = ['Dataset', ...baselines.map((b) => `vs ${b} (W / T / L)`)];
  const lines = ['## Summary', '', ...headline(doc), `| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const ds of doc.datasets) {
    const cells = [ds.title];
    for (const b of baselines) {
      const count = (o: Outcome) => ds.metrics.filter((m) => m.comparisons.some((c) => c.baseline === b && c.outcome === o)).length;
      cells.push(`${count('win')} / ${count('tie')} / ${count('loss')}`);
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', 'Which student comes closest: on how many figures each method has the best mean among the students (figures where',
    `the top two means are within ${MIN_DIFFERENCE} — e.g. all at the ceiling — count for nobody).`, '');
  const bestHead = ['Dataset', ...doc.methods, 'nobody'];
  lines.push(`| ${bestHead.join(' | ')} |`, `|${bestHead.map(() => ' --- ').join('|')}|`);
  for (const ds of doc.datasets) {
    const counts: Record<string, number> = Object.fromEntries([...doc.methods, 'nobody'].map((m) => [m, 0]));
    for (const m of ds.metrics) counts[bestStudent(m, doc.methods)]! += 1;
    lines.push(`| ${[ds.title, ...doc.methods.map((x) => String(counts[x])), String(counts.nobody)].join(' | ')} |`);
  }
  return lines;
}

/** The student with the best mean on a figure, or 'nobody' when the top two are within MIN_DIFFERENCE. */
function bestStudent(m: MetricAggregate, methods: string[]): string {
  const ranked = methods
    .map((name) => ({ name, mean: m.models[name]?.mean ?? null }))
    .filter((x): x is { name: string; mean: number } => x.mean !== null)
    .sort((a, b) => (m.higherIsBetter ? b.mean - a.mean : a.mean - b.mean));
  if (ranked.length === 0) return 'nobody';
  if (ranked.length > 1 && Math.abs(ranked[0]!.mean - ranked[1]!.mean) < MIN_DIFFERENCE) return 'nobody';
  return ranked[0]!.name;
}

/** The machine a single run's doc states: its Setup line as resultsMarkdown writes it (a doc may have been corrected by hand since). */
export function machineOfDoc(markdown: string): string | undefined {
  return /^- Backend: [^;]+; machine: (.*)\. Wall time of the whole run: /m.exec(markdown)?.[1];
}

export function resultsMarkdown(doc: ResultsDoc): string {
  const lines: string[] = [
    '# Does TinTeM give more faithful students? (paper-claim experiment)',
    '',
    'The claim under test (TinTeM / CosPress, arXiv 2411.15239): distilling through a teacher head that preserves the',
    "teacher's cosine structure gives students that agree more with their teacher — in predictions, in neighbourhood and",
    'similarity structure, in out-of-distribution scores and under corruption — than baselines that regress or relate the',
    'raw teacher features, at the same budget. '
    + (doc.parts
      ? `This file is generated by \`bench/paper-claim-combine.ts\` from ${doc.parts.length} runs of \`bench/paper-claim.ts\` (one per block,`
        + ` listed under Setup); every aggregate is in \`${doc.resultsPath}\` and the raw scorecards are in each block's own results file.`
      : `This file is generated by \`bench/paper-claim.ts\`; the raw scorecards and every aggregate are in \`${doc.resultsPath}\`.`),
    '',
    ...(doc.scope ? [`> ${doc.scope}`, ''] : []),
    '## Setup',
    '',
    `- Teacher: \`${doc.teacher.spec}\` (${doc.teacher.id}), frozen; ${doc.teacher.embedDim}-d pooled embedding, ${doc.teacher.tokenCount} spatial tokens for the token terms.`,
    `- Student: ${doc.student.description}, ${doc.student.params.toLocaleString('en-US')} parameters, ${doc.student.embedDim}-d embedding; the same architecture, budget and seed for every method.`,
    `- Methods: ${doc.methods.map((m) => METHOD_NOTES[m] ?? m).join('; ')}.`,
    `- Training: ${doc.trainCount} images × ${doc.convergence ? `as many epochs as each student needed to converge (at least ${doc.epochs}; per run under Convergence)` : `${doc.epochs} epoch${doc.epochs === 1 ? '' : 's'}`}, batch ${doc.batchSize}, AdamW lr ${doc.lr} (cosine schedule, 1 warm-up epoch), weight decay ${doc.weightDecay}, no augmentation views (identity only). Loss weights are the defaults (all 1).`,
    `- Seeds: ${doc.seeds.join(', ')} (student init, head/projector init, batch order). Every seed is evaluated on the same images with evaluation seed ${doc.evalSeed} (bootstrap, corruptions, photo crops, noise), so the spread over seeds is training variance only.`,
    '- Evaluation: kNN (k = 20, cosine, weighted) with the ID train images as the bank; linear probe; agreement and similarity on the ID test set; OOD scores are kNN distance (k = 50) and Mahalanobis on the embedding (ID test vs each OOD set); robustness uses the kNN classifier on corrupted copies of the first test images, with mCE relative to the teacher.',
    ...(doc.parts
      ? [`- Backend: ${doc.backend}; machine: ${doc.machine}.`, ...partsSection(doc.parts)]
      : [`- Backend: ${doc.backend}; machine: ${doc.machine}. Wall time of the whole run: ${(doc.wallSeconds / 60).toFixed(1)} min (${doc.date}).`]),
    '',
    '**Win / tie / loss rule.** Per figure and baseline, paired over seeds: TinTeM *wins* when it is better in every seed',
    'AND the difference of means exceeds the larger of the two across-seed standard deviations (and at least 0.1',
    'points on a percentage, 0.001 on a correlation or ratio); it *loses* under the',
    `mirror condition; everything else is a *tie*. Direction follows the figure (↑/↓). With ${doc.seeds.length} seeds this is a`,
    'conservative, plainly stated rule, not a significance test.',
    '',
    ...overall(doc),
    '',
  ];
  if (doc.moved) lines.push(...movedSection(doc.moved));
  if (doc.convergence) lines.push(...convergenceSection(doc.convergence));
  if (doc.runs) lines.push(...runsSection(doc.runs));
  for (const ds of doc.datasets) lines.push(...datasetSection(ds, doc.methods), '');
  const notes = [...doc.notes, ...aboveTeacherNotes(doc)];
  if (notes.length) lines.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  lines.push('## Reproduce', '', '```sh', ...(doc.parts ?? []).map((p) => p.command), doc.command, '```', '',
    'Re-running reuses the teacher-embedding cache (`.cache/tintem`), every finished training run and every finished',
    `evaluation under \`${doc.outDir}/\` (delete that folder, or pass \`--fresh\`, to start over).`, '');
  return lines.join('\n');
}
