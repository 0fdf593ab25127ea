/** The Markdown summary: header, scorecard (best student in bold), OOD AUROC, mean robustness, final losses, notes. */
import { DASH, escapeMdCell, fmt, fmtCount, isNum } from './format.js';
import { toJsonValue } from './normalize.js';
import { bestStudents, formatCell, formatNumber, modelLabel, scorecardColumns } from './scorecard.js';
import type { ReportData, ReportDataJson } from './types.js';
import { parseReportData } from './validate.js';

type Json = ReportDataJson;

/** Renders a Markdown summary (no images; the HTML report has the charts). Validates the data first. */
export function renderMarkdownSummary(data: ReportData): string {
  // Images are not needed here, so skip their (async) PNG encoding and validate the rest.
  const d = parseReportData(toJsonValue({ ...data, neighbours: undefined }));
  const out: string[] = [];
  out.push(`# ${d.title}`, '');
  out.push(`Generated ${d.createdAt} by tintem ${d.tintemVersion} on backend \`${d.backend}\`.`, '');
  out.push(table(['model', 'role', 'method', 'params'], d.models.map((m) => [m.label ?? m.id, m.role, m.method ?? DASH, fmtCount(m.params)]), [false, false, false, true]), '');

  if (d.verdict?.students.length) {
    const answer = { faithful: 'faithful', partly: 'partly faithful', not: 'not faithful' } as const;
    out.push('## Verdict', '', ...d.verdict.students.map((s) => `- **${modelLabel(d, s.model)}**${s.faithful ? ` (${answer[s.faithful]})` : ''}: ${s.sentence}`), '', `_${d.verdict.rule}_`, '');
  }

  out.push('## Scorecard', '');
  out.push(d.scorecard ? scorecardMd(d) : omitted(d, 'scorecard'), '');

  if (data.notes?.trim()) out.push('## Notes', '', d.notes!.trim(), '');

  out.push('## OOD detection (AUROC)', '');
  out.push(d.roc?.length ? rocMd(d) : omitted(d, 'roc'), '');

  out.push('## Robustness', '');
  out.push(d.robustness?.corruptions.length ? robustnessMd(d) : omitted(d, 'robustness'), '');

  out.push('## Training (last logged step)', '');
  out.push(d.curves && Object.keys(d.curves).length ? curvesMd(d) : omitted(d, 'curves'), '');

  const has = { similarity: !!d.similarity?.length, maps: !!d.maps?.models.length, neighbours: !!data.neighbours?.queries.length };
  const absent = (['similarity', 'maps', 'neighbours'] as const).filter((k) => !has[k]);
  const shown = (['similarity', 'maps', 'neighbours'] as const).filter((k) => !absent.includes(k));
  if (shown.length) out.push(`Similarity scatter, 2-D maps and nearest-neighbour strips: see report.html (${shown.join(', ')} included).`, '');
  for (const k of absent) if (d.omitted?.[k]) out.push(`- ${k}: not available (${d.omitted[k]})`);
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

function omitted(d: Json, key: keyof NonNullable<Json['omitted']>): string {
  return `_Not available in this run${d.omitted?.[key] ? `: ${d.omitted[key]}` : '.'}_`;
}

function table(header: string[], rows: string[][], numeric: boolean[]): string {
  const line = (cells: string[]): string => `| ${cells.map(escapeMdCell).join(' | ')} |`;
  return [line(header), `|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map(line)].join('\n');
}

function scorecardMd(d: Json): string {
  const columns = scorecardColumns(d);
  const rows: string[][] = [];
  for (const section of d.scorecard!.sections) {
    rows.push([`**${section.name}**`, ...columns.map(() => '')]);
    for (const row of section.rows) {
      const best = bestStudents(row, columns, d);
      rows.push([
        `${row.metric} ${row.higherIsBetter ? '↑' : '↓'}`,
        ...columns.map((id) => {
          const c = formatCell(row.cells[id], row.format);
          return best.has(id) ? `**${c.text}**` : c.text;
        }),
      ]);
    }
  }
  return `${table(['metric', ...columns.map((id) => modelLabel(d, id))], rows, [false, ...columns.map(() => true)])}\n\nA student in **bold** beats every other student under the verdict's win rule (never at chance level or worse); ± is half the 95% CI; n/a: not computed or not applicable.`;
}

function rocMd(d: Json): string {
  const ids = d.models.map((m) => m.id).filter((id) => d.roc!.some((r) => r.models[id]));
  const rows = d.roc!.map((r) => [`${r.set} / ${r.score}`, ...ids.map((id) => formatNumber(r.models[id]?.auroc, 'percent'))]);
  return table(['OOD set / score', ...ids.map((id) => modelLabel(d, id))], rows, [false, ...ids.map(() => true)]);
}

function robustnessMd(d: Json): string {
  const r = d.robustness!;
  const mean = r.corruptions.find((c) => c.name === 'mean') ?? r.corruptions[0]!;
  const severities = r.severities ?? [0, 1, 2, 3, 4, 5];
  const parts: string[] = [];
  for (const metric of ['accuracy', 'agreement'] as const) {
    const ids = d.models.map((m) => m.id).filter((id) => mean.models[id]?.[metric]?.length);
    if (!ids.length) continue;
    const rows = ids.map((id) => [modelLabel(d, id), ...severities.map((_, i) => formatNumber(mean.models[id]![metric]![i], 'percent'))]);
    parts.push(`${metric} ('${mean.name}'):\n\n${table(['model', ...severities.map((s) => `sev ${s}`)], rows, [false, ...severities.map(() => true)])}`);
  }
  return parts.join('\n\n') || '_No accuracy or agreement values._';
}

function curvesMd(d: Json): string {
  const entries = Object.entries(d.curves!).filter(([, pts]) => pts.length);
  const terms = [...new Set(entries.flatMap(([, pts]) => Object.keys(pts[pts.length - 1]!.terms)))];
  const rows = entries.map(([method, pts]) => {
    const last = pts[pts.length - 1]!;
    return [method, String(last.step), ...terms.map((t) => (isNum(last.terms[t]) ? fmt(last.terms[t]!, 4) : DASH))];
  });
  return table(['method', 'step', ...terms], rows, [false, true, ...terms.map(() => true)]);
}
