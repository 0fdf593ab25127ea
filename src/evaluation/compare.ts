/**
 * The one win rule every comparison in tintem uses (verdicts, the report's "best" highlight, gaps to the
 * teacher): a win or loss needs the two 95% bootstrap intervals not to overlap; where either figure has no
 * interval, a difference of at least {@link TIE_WITHOUT_CI} decides. Anything else is a tie.
 */

/** Without bootstrap intervals, differences smaller than this count as a tie (1 point on a 0-1 figure). */
export const TIE_WITHOUT_CI = 0.01;

export interface ComparedValue {
  value: number;
  lo?: number | null;
  hi?: number | null;
}

export type Outcome = 'win' | 'tie' | 'loss';

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** Outcome of `a` against `b` on a figure where `higherIsBetter` says which way is good. */
export function compareValues(a: ComparedValue, b: ComparedValue, higherIsBetter: boolean): Outcome {
  let aAbove: boolean | undefined;
  if (finite(a.lo) && finite(a.hi) && finite(b.lo) && finite(b.hi)) {
    if (a.lo > b.hi) aAbove = true;
    else if (a.hi < b.lo) aAbove = false;
  } else if (Math.abs(a.value - b.value) >= TIE_WITHOUT_CI) {
    aAbove = a.value > b.value;
  }
  if (aAbove === undefined) return 'tie';
  return aAbove === higherIsBetter ? 'win' : 'loss';
}

/** The rule in one sentence, for captions. */
export const WIN_RULE_TEXT = `a win or loss needs non-overlapping 95% bootstrap intervals, or a difference of at least ${TIE_WITHOUT_CI} where a figure has no interval; anything else is a tie`;
