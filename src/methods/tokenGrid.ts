/**
 * Token maps from the student and the teacher may come on different square grids (a 28px CNN gives 7x7, a 299px
 * InceptionV3 cut gives 35x35). Token losses compare them position by position, so the finer map is
 * average-pooled to the coarser grid; one side must divide the other exactly, else the user gets a UserError.
 */
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';

/** Side of the square grid a token count comes from (T = side^2). */
export function gridSide(tokenCount: number, what: string): number {
  const side = Math.round(Math.sqrt(tokenCount));
  if (side * side !== tokenCount) throw new UserError(`${what}: ${tokenCount} tokens do not form a square grid`);
  return side;
}

/**
 * Checks that two grids can be aligned and returns the pooling factor for each side (1 for the coarser one).
 * Throws a UserError naming both grids when neither divides the other.
 */
export function gridPoolFactors(studentGrid: number, teacherGrid: number): { student: number; teacher: number } {
  if (studentGrid % teacherGrid === 0) return { student: studentGrid / teacherGrid, teacher: 1 };
  if (teacherGrid % studentGrid === 0) return { student: 1, teacher: teacherGrid / studentGrid };
  throw new UserError(
    `student token grid ${studentGrid}x${studentGrid} and teacher token grid ${teacherGrid}x${teacherGrid} do not divide one another; ` +
    'choose a student input size/depth whose grid is a multiple or a divisor of the teacher\'s, or turn the token losses off',
  );
}

/** Average-pools an N x g^2 x C token map by `factor` per side -> N x (g/factor)^2 x C. */
export function poolTokenMap(tokens: tf.Tensor3D, factor: number): tf.Tensor3D {
  if (factor === 1) return tokens;
  return tf.tidy(() => {
    const [n, t, c] = tokens.shape;
    const g = gridSide(t, 'token map');
    const map = tf.reshape(tokens, [n, g, g, c]) as tf.Tensor4D;
    const pooled = tf.avgPool(map, factor, factor, 'valid');
    const side = g / factor;
    return tf.reshape(pooled, [n, side * side, c]) as tf.Tensor3D;
  });
}

/** Brings student and teacher token maps to the same (coarser) grid. */
export function alignTokenGrids(student: tf.Tensor3D, teacher: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
  const factors = gridPoolFactors(gridSide(student.shape[1], 'student tokens'), gridSide(teacher.shape[1], 'teacher tokens'));
  return [poolTokenMap(student, factors.student), poolTokenMap(teacher, factors.teacher)];
}
