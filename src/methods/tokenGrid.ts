/**
 * Token maps from the student and the teacher may come on different square grids (a 28px CNN gives 7x7, the
 * cached teacher tokens are 2x2 by default). Token losses compare them position by position, so the finer map is
 * average-pooled to the coarser grid: exact block averages when one grid divides the other, otherwise adaptive
 * average pooling with PyTorch's (overlapping) bins. The rule in words: gridMappingRule (./student-fit.ts).
 */
import { tf } from '../backend/index.js';
import { adaptiveAvgPoolTokens } from '../teachers/features.js';
import { UserError } from '../util/errors.js';

/** Side of the square grid a token count comes from (T = side^2). */
export function gridSide(tokenCount: number, what: string): number {
  const side = Math.round(Math.sqrt(tokenCount));
  if (side * side !== tokenCount) throw new UserError(`${what}: ${tokenCount} tokens do not form a square grid`);
  return side;
}

/** Average-pools an N x g^2 x C token map to N x target^2 x C (target <= g). */
export function poolTokenMap(tokens: tf.Tensor3D, target: number): tf.Tensor3D {
  const [n, t, c] = tokens.shape;
  const g = gridSide(t, 'token map');
  if (target === g) return tokens;
  return tf.tidy(() => {
    const map = tf.reshape(tokens, [n, g, g, c]) as tf.Tensor4D;
    if (g % target === 0) {
      const f = g / target;
      return tf.reshape(tf.avgPool(map, f, f, 'valid'), [n, target * target, c]) as tf.Tensor3D;
    }
    return adaptiveAvgPoolTokens(map, target);
  });
}

/** Brings student and teacher token maps to the same (coarser) grid. */
export function alignTokenGrids(student: tf.Tensor3D, teacher: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
  const gs = gridSide(student.shape[1], 'student tokens');
  const gt = gridSide(teacher.shape[1], 'teacher tokens');
  const target = Math.min(gs, gt);
  return [poolTokenMap(student, target), poolTokenMap(teacher, target)];
}

