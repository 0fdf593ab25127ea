/** Renders a scorecard as an aligned plain-text table: teacher and each student side by side. */
import { oodMetrics, scorecardMetrics } from './metrics.js';
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
  // Catalogue figures (evaluation/metrics.ts) grouped by section; OOD rows pair FPR@95 and AUPR per score.
  const metrics = scorecardMetrics(card);
  const byId = new Map(metrics.map((m) => [m.id, m]));
  let section = '';
  for (const m of metrics) {
    if (m.group === 'ood') continue;
    if (models.length === 1 && !m.teacher) continue;
    if (m.section !== section) rows.push({ section: (section = m.section) });
    if (m.id === 'similarity.mutualKnn') {
      row(`${m.label} (chance)`, (c) => (c.similarity ? `${fmt(m.pick(c))} (${fmt(c.similarity.mutualKnnChance)})` : DASH));
    } else row(m.label, (c) => fmt(m.pick(c)));
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
      const [auroc, fprId, fprOod, auprIn, auprOut, spearman] = (['auroc', 'fpr95', 'fpr95OodPositive', 'auprIn', 'auprOut', 'teacherSpearman'] as const)
        .map((k) => byId.get(`ood.${set}.${score}.${k}`) ?? oodMetrics(set, score).find((x) => x.id.endsWith(`.${k}`))!);
      const skippedEverywhere = models.every(([, m]) => { const v = auroc!.pick(m); return !v || 'skipped' in v; });
      if (skippedEverywhere) {
        row(score, (m) => { const v = auroc!.pick(m); return v && 'skipped' in v ? note(v.skipped) : DASH; }); // one row says why
        continue;
      }
      const skippedCell = (m: ModelCard): string | undefined => { const v = auroc!.pick(m); return !v ? DASH : 'skipped' in v ? note(v.skipped) : undefined; };
      row(auroc!.label, (m) => skippedCell(m) ?? fmt(auroc!.pick(m)));
      row(`${score}: FPR@95 (ID+ / OOD+)`, (m) => skippedCell(m) ?? pair(fprId!.pick(m), fprOod!.pick(m)));
      row(`${score}: AUPR (In / Out)`, (m) => skippedCell(m) ?? pair(auprIn!.pick(m), auprOut!.pick(m)));
      if (models.length > 1) row(spearman!.label, (m) => (m.role === 'teacher' ? DASH : skippedCell(m) ?? fmt(spearman!.pick(m))));
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
