/** Renders a scorecard as an aligned plain-text table: teacher and each student side by side. */
import type { Metric, ModelCard, Scorecard } from './schema.js';

const DASH = '-';

export function formatScorecard(card: Scorecard): string {
  const models: Array<[string, ModelCard]> = [['teacher', card.teacher], ...Object.entries(card.students)];
  const footnotes: string[] = [];
  const note = (reason: string): string => {
    let i = footnotes.indexOf(reason);
    if (i < 0) { footnotes.push(reason); i = footnotes.length - 1; }
    return `n/a [${i + 1}]`;
  };
  const fmt = (m: Metric | undefined, digits = 3): string => {
    if (!m) return DASH;
    if ('skipped' in m) return note(m.skipped);
    const v = m.value.toFixed(digits);
    return m.ci ? `${v} [${m.ci.lower.toFixed(digits)}, ${m.ci.upper.toFixed(digits)}]` : v;
  };
  const pair = (a: Metric | undefined, b: Metric | undefined): string => (!a && !b ? DASH : `${fmt(a)} / ${fmt(b)}`);

  type Row = string[] | { section: string };
  const rows: Row[] = [];
  const row = (label: string, cell: (m: ModelCard) => string) => rows.push([label, ...models.map(([, m]) => cell(m))]);
  const s = card.settings;

  rows.push({ section: 'Task quality (ID test)' });
  row(`kNN accuracy (k=${s.knnK})`, (m) => fmt(m.quality.knn));
  row('linear-probe accuracy', (m) => fmt(m.quality.probe));
  if (models.length > 1) {
    rows.push({ section: 'Agreement with the teacher (ID test)' });
    row('kNN top-1 agreement', (m) => fmt(m.agreement?.knn));
    row('probe top-1 agreement', (m) => fmt(m.agreement?.probe));
    row('NN retrieval top-1 agreement', (m) => fmt(m.agreement?.retrievalTop1));
    row(`NN retrieval top-${s.retrievalK} overlap`, (m) => fmt(m.agreement?.retrievalTopKOverlap));
    rows.push({ section: 'Representation similarity to the teacher (ID test)' });
    row(`linear CKA${s.normalizeForCka ? ' (L2-normalised)' : ''}`, (m) => fmt(m.similarity?.cka));
    row(`mutual kNN@${s.mutualK} (chance)`, (m) => (m.similarity ? `${fmt(m.similarity.mutualKnn)} (${fmt(m.similarity.mutualKnnChance)})` : DASH));
    row('pairwise cosine Pearson', (m) => fmt(m.similarity?.cosinePearson));
    row('pairwise cosine Spearman', (m) => fmt(m.similarity?.cosineSpearman));
    row('pairwise cosine mean |diff|', (m) => fmt(m.similarity?.cosineMeanAbsDiff));
  }
  for (const [set, count] of Object.entries(card.counts.ood)) {
    rows.push({ section: `OOD '${set}' (${count} images; higher score = more OOD; AUROC/AUPR-Out: OOD positive)` });
    const scoreNames = new Set<string>();
    for (const [, m] of models) {
      const r = m.ood[set];
      if (r && !('skipped' in r)) for (const k of Object.keys(r.scores)) scoreNames.add(k);
    }
    if (scoreNames.size === 0) row('(all models)', (m) => { const r = m.ood[set]; return r && 'skipped' in r ? note(r.skipped) : DASH; });
    for (const score of scoreNames) {
      const get = (m: ModelCard) => {
        const r = m.ood[set];
        if (!r) return undefined;
        if ('skipped' in r) return { skipped: r.skipped } as const;
        return r.scores[score];
      };
      const cell = (pick: (r: Exclude<ReturnType<typeof get>, undefined | { skipped: string }>) => string) => (m: ModelCard) => {
        const r = get(m);
        if (!r) return DASH;
        if ('skipped' in r) return note(r.skipped);
        return pick(r);
      };
      if (models.every(([, m]) => { const r = get(m); return !r || 'skipped' in r; })) {
        row(score, cell(() => DASH)); // skipped everywhere: one row says why
        continue;
      }
      row(`${score} AUROC`, cell((r) => fmt(r.auroc)));
      row(`${score} FPR@95 (ID+ / OOD+)`, cell((r) => pair(r.fpr95IdPositive, r.fpr95OodPositive)));
      row(`${score} AUPR (In / Out)`, cell((r) => pair(r.auprIn, r.auprOut)));
      if (models.length > 1) row(`${score} Spearman vs teacher`, (m) => (m.role === 'teacher' ? DASH : cell((r) => fmt(r.teacherSpearman))(m)));
    }
  }

  const header = ['', ...models.map(([name, m]) => `${name} (d=${m.dim})`)];
  const tableRows = rows.filter((r): r is string[] => Array.isArray(r));
  const widths = header.map((h, c) => Math.max(h.length, ...tableRows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ').trimEnd();
  const out: string[] = [
    `Faithfulness scorecard (seed ${card.seed}; ${card.counts.train} train, ${card.counts.test} test` +
      `${card.counts.classes ? `, ${card.counts.classes} classes` : ''}; [${Math.round(s.ciLevel * 100)}% bootstrap CI, ${s.bootstrapResamples} resamples])`,
    line(header),
  ];
  for (const r of rows) out.push(Array.isArray(r) ? line(r) : `\n${r.section}`);
  if (footnotes.length) out.push('', ...footnotes.map((f, i) => `[${i + 1}] ${f}`));
  return `${out.join('\n')}\n`;
}
