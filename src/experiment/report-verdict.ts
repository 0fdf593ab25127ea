/**
 * The report's opening verdict: per student, the few figures that answer "is my student faithful?" (agreement
 * with the teacher, CKA, the OOD AUROC gap to the teacher per set, the corrupted-accuracy gap) with their
 * intervals, each judged against the teacher with the one win rule (src/evaluation/compare.ts), and a sentence.
 */
import { compareValues, isValue, WIN_RULE_TEXT, type Metric, type ModelCard, type Scorecard } from '../evaluation/index.js';
import type { Verdict, VerdictFigure, StudentVerdict } from '../report/types.js';
import type { RobustnessReport } from '../robustness/index.js';
import { TEACHER_ID } from './evaluate.js';

const OUTCOME = { win: 'better', tie: 'same', loss: 'worse' } as const;

function mean(xs: Array<number | null | undefined>): number | undefined {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
}

function plain(label: string, m: Metric | undefined, format: VerdictFigure['format']): VerdictFigure {
  if (!isValue(m)) return { label, format, value: null, missing: m ? m.skipped : 'not computed' };
  return { label, format, value: m.value, lo: m.ci?.lower, hi: m.ci?.upper };
}

/** A student figure with the teacher's value and the gap (student - teacher), judged by the win rule. */
function gapFigure(label: string, student: Metric | undefined, teacher: Metric | undefined): VerdictFigure {
  const fig = plain(label, student, 'percent');
  if (!isValue(student) || !isValue(teacher)) return { ...fig, teacher: isValue(teacher) ? teacher.value : null, gap: null, missing: fig.missing ?? "the teacher's value was not computed" };
  const s = { value: student.value, lo: student.ci?.lower, hi: student.ci?.upper };
  const t = { value: teacher.value, lo: teacher.ci?.lower, hi: teacher.ci?.upper };
  const both = s.lo !== undefined && s.hi !== undefined && t.lo !== undefined && t.hi !== undefined;
  return {
    ...fig, teacher: t.value,
    // With both intervals, the widest difference they allow: it excludes 0 exactly when they do not overlap.
    gap: { value: s.value - t.value, ...(both ? { lo: s.lo! - t.hi!, hi: s.hi! - t.lo! } : {}) },
    outcome: OUTCOME[compareValues(s, t, true)],
  };
}

const pts = (x: number) => `${Math.abs(100 * x).toFixed(1)} points`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const list = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

function sentence(label: string, figures: VerdictFigure[], oodSets: string[], robustness: boolean): string {
  const [agreement, cka, ...rest] = figures;
  const ood = rest.slice(0, oodSets.length);
  const robust = robustness ? rest[oodSets.length] : undefined;
  const parts: string[] = [];
  const first = agreement?.value !== null && agreement?.value !== undefined
    ? `agrees with the teacher on ${pct(agreement.value)} of ${agreement.label.startsWith('kNN') ? 'kNN predictions' : 'nearest neighbours'}`
    : 'has no agreement figure (no labels)';
  parts.push(`${label} ${first}${cka?.value !== null && cka?.value !== undefined ? `, with linear CKA ${cka.value.toFixed(3)}` : ''}.`);
  if (ood.length) {
    const by = (o: VerdictFigure['outcome']) => ood.map((f, i) => ({ f, set: oodSets[i]! })).filter((x) => x.f.outcome === o);
    const same = by('same'), worse = by('worse'), better = by('better');
    const clauses = [
      same.length ? `as good as the teacher's on ${list(same.map((x) => x.set))}` : '',
      worse.length ? `worse on ${list(worse.map((x) => `${x.set} (${pts(x.f.gap!.value)} lower AUROC)`))}` : '',
      better.length ? `better on ${list(better.map((x) => `${x.set} (${pts(x.f.gap!.value)} higher AUROC)`))}` : '',
    ].filter(Boolean);
    parts.push(clauses.length ? `Its OOD detection is ${list(clauses)}.` : 'Its OOD detection could not be compared with the teacher\'s.');
  }
  if (robust?.gap) {
    const g = robust.gap.value;
    parts.push(robust.outcome === 'same'
      ? `Under corruption its accuracy stays within 1 point of the teacher's.`
      : `Under corruption its accuracy is ${pts(g)} ${g < 0 ? 'below' : 'above'} the teacher's.`);
  } else if (!robustness) {
    parts.push('Robustness was not measured (tintem eval --robustness <n>).');
  }
  return parts.join(' ');
}

/** The verdict for every student of a scorecard; `labels` are the display names by student id. */
export function buildVerdict(card: Scorecard, robustness: RobustnessReport | undefined, labels: Record<string, string> = {}): Verdict {
  const oodSets = Object.keys(card.teacher.ood).filter((set) => {
    const r = card.teacher.ood[set];
    return r && 'scores' in r && r.scores.knn;
  });
  const knnAuroc = (c: ModelCard, set: string): Metric | undefined => {
    const r = c.ood[set];
    const s = r && 'scores' in r ? r.scores.knn : undefined;
    return s && 'auroc' in s ? s.auroc : s ? { skipped: s.skipped } : undefined;
  };
  const corrupted = (id: string) => mean(robustness?.cells.map((c) => c.accuracy[id]) ?? []);
  const students: StudentVerdict[] = Object.entries(card.students).map(([id, c]) => {
    const agreement = isValue(c.agreement?.knn) || !isValue(c.agreement?.retrievalTop1)
      ? plain('kNN agreement with the teacher', c.agreement?.knn, 'percent')
      : plain('Same nearest neighbour as the teacher', c.agreement?.retrievalTop1, 'percent');
    const figures: VerdictFigure[] = [agreement, plain('Linear CKA to the teacher', c.similarity?.cka, 'decimal')];
    for (const set of oodSets) figures.push(gapFigure(`OOD AUROC, ${set} (kNN score)`, knnAuroc(c, set), knnAuroc(card.teacher, set)));
    if (robustness) {
      const s = corrupted(id), t = corrupted(TEACHER_ID);
      figures.push(gapFigure('Accuracy under corruption (mean)', s === undefined ? undefined : { value: s }, t === undefined ? undefined : { value: t }));
    }
    return { model: id, figures, sentence: sentence(labels[id] ?? id, figures, oodSets, Boolean(robustness)) };
  });
  return { students, rule: `Better / same / worse than the teacher: ${WIN_RULE_TEXT}. Gap intervals are the widest difference the two intervals allow.` };
}
