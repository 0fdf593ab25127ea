/**
 * The report's opening verdict: is each student faithful to its teacher? Faithful / partly faithful / not
 * faithful, by the rule in FAITHFULNESS_RULE (stated in the report). Faithfulness is closeness to the teacher in
 * both directions: a student 19 points above its teacher's OOD AUROC diverges from it as much as one 19 points
 * below. Agreement and CKA have no teacher value (the teacher scores 1 against itself); they are read against the
 * floor an untrained student of the same architecture and seed reaches, so that a CKA of 0.99 means something.
 */
import { isValue, type Metric, type ModelCard, type Scorecard } from '../evaluation/index.js';
import type { FaithfulnessWord, Verdict, VerdictFigure, StudentVerdict } from '../report/types.js';
import type { RobustnessReport } from '../robustness/index.js';
import { TEACHER_ID } from './evaluate.js';

/** A gap to the teacher (OOD AUROC, corrupted accuracy) within this many points either way is close. */
export const GAP_TOLERANCE = 0.05;
/** Agreement and CKA: the share of the way from the untrained floor to 1 that counts as close, and below which far. */
export const CLOSE_SHARE = 0.8;
export const FAR_SHARE = 0.4;
/** Fewer queries than this are flagged: a proportion near 50% then carries more than ±7 points of sampling noise. */
export const SMALL_TEST_SET = 200;

export const FAITHFULNESS_RULE =
  `Faithful: every figure is close to the teacher. Not faithful: any figure is far from it. Partly faithful: otherwise. `
  + `A gap to the teacher (student minus teacher, either sign: above the teacher is a divergence too) is close when its whole 95% interval lies within ±${100 * GAP_TOLERANCE} points `
  + `(without an interval: within ±2 points), far when the interval excludes 0 and the gap is at least ${100 * GAP_TOLERANCE} points, and uncertain or off otherwise. `
  + `Agreement and CKA are read as the share of the way from an untrained student of the same architecture and seed (the floor; 0 when not measured) to 1: `
  + `close from ${100 * CLOSE_SHARE}%, far below ${100 * FAR_SHARE}%.`;

function mean(xs: Array<number | null | undefined>): number | undefined {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
}

function plain(label: string, m: Metric | undefined, format: VerdictFigure['format'], floor: Metric | undefined): VerdictFigure {
  const fl = isValue(floor) ? { floor: floor.value } : {};
  if (!isValue(m)) return { label, format, value: null, missing: m ? m.skipped : 'not computed', ...fl };
  const fig: VerdictFigure = { label, format, value: m.value, lo: m.ci?.lower, hi: m.ci?.upper, ...fl };
  const f = isValue(floor) ? Math.min(floor.value, 0.999) : 0;
  const share = (m.value - f) / (1 - f);
  return { ...fig, rating: share >= CLOSE_SHARE ? 'close' : share < FAR_SHARE ? 'far' : 'off' };
}

/** Rates a gap (student - teacher) in both directions. */
export function rateGap(gap: { value: number; lo?: number | null; hi?: number | null }): NonNullable<VerdictFigure['rating']> {
  const { value, lo, hi } = gap;
  if (typeof lo === 'number' && typeof hi === 'number') {
    if (lo >= -GAP_TOLERANCE && hi <= GAP_TOLERANCE) return 'close';
    if ((lo > 0 || hi < 0) && Math.abs(value) >= GAP_TOLERANCE) return 'far';
    return 'off';
  }
  const a = Math.abs(value);
  return a <= 0.02 ? 'close' : a >= GAP_TOLERANCE ? 'far' : 'off';
}

/** A student figure with the teacher's value and the gap (student - teacher), rated in both directions. */
function gapFigure(label: string, student: Metric | undefined, teacher: Metric | undefined, floor: Metric | undefined): VerdictFigure {
  const fig: VerdictFigure = isValue(student)
    ? { label, format: 'percent', value: student.value, lo: student.ci?.lower, hi: student.ci?.upper }
    : { label, format: 'percent', value: null, missing: student ? student.skipped : 'not computed' };
  if (isValue(floor)) fig.floor = floor.value;
  if (!isValue(student) || !isValue(teacher)) return { ...fig, teacher: isValue(teacher) ? teacher.value : null, gap: null, missing: fig.missing ?? "the teacher's value was not computed" };
  const s = { value: student.value, lo: student.ci?.lower, hi: student.ci?.upper };
  const t = { value: teacher.value, lo: teacher.ci?.lower, hi: teacher.ci?.upper };
  const both = s.lo !== undefined && s.hi !== undefined && t.lo !== undefined && t.hi !== undefined;
  // With both intervals, the widest difference they allow: it excludes 0 exactly when they do not overlap.
  const gap = { value: s.value - t.value, ...(both ? { lo: s.lo! - t.hi!, hi: s.hi! - t.lo! } : {}) };
  return { ...fig, teacher: t.value, gap, rating: rateGap(gap) };
}

const pts = (x: number) => `${Math.abs(100 * x).toFixed(1)} points`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const list = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

/** The overall word: faithful when every rated figure is close, not when any is far. */
export function faithfulness(figures: VerdictFigure[]): FaithfulnessWord | undefined {
  const rated = figures.filter((f) => f.rating);
  if (rated.length === 0) return undefined;
  if (rated.some((f) => f.rating === 'far')) return 'not';
  return rated.every((f) => f.rating === 'close') ? 'faithful' : 'partly';
}

const WORD: Record<FaithfulnessWord, string> = { faithful: 'faithful to its teacher', partly: 'partly faithful to its teacher', not: 'not faithful to its teacher' };

/** Half-width, in points, of a 95% interval on a proportion near 50% over n queries. */
export const noisePoints = (n: number) => 100 * 1.96 * Math.sqrt(0.25 / n);

function sentence(label: string, word: FaithfulnessWord | undefined, figures: VerdictFigure[], oodSets: string[], robustness: boolean, queries: number | undefined): string {
  const [agreement, cka, ...rest] = figures;
  const ood = rest.slice(0, oodSets.length);
  const robust = robustness ? rest[oodSets.length] : undefined;
  const parts: string[] = [];
  if (word) parts.push(`${label} is ${WORD[word]} (rule below).`);
  const floor = (f: VerdictFigure | undefined, fmt: (x: number) => string) => (f?.floor !== undefined && f.floor !== null ? ` (untrained: ${fmt(f.floor)})` : '');
  const first = agreement?.value !== null && agreement?.value !== undefined
    ? `It agrees with the teacher on ${pct(agreement.value)} of ${agreement.label.startsWith('kNN') ? 'kNN predictions' : 'nearest neighbours'}${floor(agreement, pct)}`
    : 'It has no agreement figure (no labels)';
  parts.push(`${first}${cka?.value !== null && cka?.value !== undefined ? `, with linear CKA ${cka.value.toFixed(3)}${floor(cka, (x) => x.toFixed(3))}` : ''}.`);
  if (ood.length) {
    const by = (r: VerdictFigure['rating']) => ood.map((f, i) => ({ f, set: oodSets[i]! })).filter((x) => x.f.rating === r);
    const side = (g: number) => `${pts(g)} ${g < 0 ? 'below' : 'above'} the teacher's AUROC`;
    const close = by('close'), off = by('off'), far = by('far');
    const clauses = [
      close.length ? `close to the teacher's on ${list(close.map((x) => x.set))}` : '',
      off.length ? `not clearly close on ${list(off.map((x) => `${x.set} (${side(x.f.gap!.value)})`))}` : '',
      far.length ? `diverges from it on ${list(far.map((x) => `${x.set} (${side(x.f.gap!.value)})`))}` : '',
    ].filter(Boolean);
    parts.push(clauses.length ? `Its OOD detection is ${list(clauses)}.` : "Its OOD detection could not be compared with the teacher's.");
  }
  if (robust?.gap) {
    const g = robust.gap.value;
    parts.push(robust.rating === 'close'
      ? `Under corruption its accuracy stays close to the teacher's (${pts(g)} ${g < 0 ? 'below' : 'above'}).`
      : `Under corruption its accuracy is ${pts(g)} ${g < 0 ? 'below' : 'above'} the teacher's.`);
  } else if (!robustness) {
    parts.push('Robustness was not measured (tintem eval --robustness <n>).');
  }
  if (queries !== undefined && queries < SMALL_TEST_SET) {
    parts.push(`Only ${queries} test images: each figure carries about ±${noisePoints(queries).toFixed(0)} points of sampling noise; ${SMALL_TEST_SET * 2} or more give ±5.`);
  }
  return parts.join(' ');
}

/**
 * The verdict for every student of a scorecard; `labels` are the display names by student id; `floors` a
 * scorecard of untrained students of the same architectures, keyed by the same ids.
 */
export function buildVerdict(card: Scorecard, robustness: RobustnessReport | undefined, labels: Record<string, string> = {}, floors?: Scorecard): Verdict {
  const oodSets = Object.keys(card.teacher.ood).filter((set) => {
    const r = card.teacher.ood[set];
    return r && 'scores' in r && r.scores.knn;
  });
  const knnAuroc = (c: ModelCard | undefined, set: string): Metric | undefined => {
    const r = c?.ood[set];
    const s = r && 'scores' in r ? r.scores.knn : undefined;
    return s && 'auroc' in s ? s.auroc : s ? { skipped: s.skipped } : undefined;
  };
  const corrupted = (id: string) => mean(robustness?.cells.map((c) => c.accuracy[id]) ?? []);
  const queries = card.sets?.test.count;
  const students: StudentVerdict[] = Object.entries(card.students).map(([id, c]) => {
    const fl = floors?.students[id];
    const byKnn = isValue(c.agreement?.knn) || !isValue(c.agreement?.retrievalTop1);
    const agreement = byKnn
      ? plain('kNN agreement with the teacher', c.agreement?.knn, 'percent', fl?.agreement?.knn)
      : plain('Same nearest neighbour as the teacher', c.agreement?.retrievalTop1, 'percent', fl?.agreement?.retrievalTop1);
    const figures: VerdictFigure[] = [agreement, plain('Linear CKA to the teacher', c.similarity?.cka, 'decimal', fl?.similarity?.cka)];
    for (const set of oodSets) figures.push(gapFigure(`OOD AUROC, ${set} (kNN score)`, knnAuroc(c, set), knnAuroc(card.teacher, set), knnAuroc(fl, set)));
    if (robustness) {
      const s = corrupted(id), t = corrupted(TEACHER_ID);
      figures.push(gapFigure('Accuracy under corruption (mean)', s === undefined ? undefined : { value: s }, t === undefined ? undefined : { value: t }, undefined));
    }
    const word = faithfulness(figures);
    return {
      model: id, figures, ...(word ? { faithful: word } : {}),
      sentence: sentence(labels[id] ?? id, word, figures, oodSets, Boolean(robustness), queries),
    };
  });
  return {
    students, rule: FAITHFULNESS_RULE,
    ...(queries !== undefined && queries < SMALL_TEST_SET ? { smallTestSet: { count: queries, noisePoints: noisePoints(queries) } } : {}),
  };
}

/** A teacher spec for titles: file paths shortened to their file name ('onnx:/home/u/m/model.onnx#x' -> 'onnx:model.onnx#x'). */
export function shortSpec(spec: string): string {
  return spec.replace(/^([a-z]+:)?(?:[^:#]*\/)([^/#]+)/, (_, kind: string | undefined, file: string) => `${kind ?? ''}${file}`);
}
