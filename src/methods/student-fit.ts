/**
 * How a student fits its teacher, in lines for the dry run and the start of `tintem distill`: the student (preset,
 * `parameters: N`, FLOPs per image), the token grids side by side with the rule that maps one onto the other and
 * the exact setting that would make them equal, and what TinTeM's head does when the student is wider than the
 * teacher. Loads no TensorFlow.
 */
import type { StudentDescription } from '../students/index.js';

export interface TeacherFit {
  embedDim: number;
  /** Side of the teacher's token grid as cached (0: no tokens). */
  tokenGrid: number;
  inputSize: number;
  /** Whether that grid is the teacher's own patch grid (grid=full), not a pooled teacherGrid. */
  fullGrid: boolean;
}

const giga = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : `${(n / 1e6).toFixed(1)} M`);

/** `[label, text]` rows. */
export function studentFitRows(s: StudentDescription, teacher: TeacherFit, method: string): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  rows.push(['student', `${s.name}${s.reference ? ` (${s.reference})` : ''}, ${s.inputSize} px x ${s.channels} channel${s.channels === 1 ? '' : 's'}`]);
  rows.push(['student size', `parameters: ${s.parameters}`]);
  rows.push(['FLOPs per image', `${giga(s.flops)} (${giga(s.flops / 2)} multiply-adds)`]);
  const proj = s.embedDim !== s.trunkWidth ? ` (the trunk's ${s.trunkWidth} projected by a 1x1 layer)` : " (the trunk's own)";
  rows.push(['student width', `${s.embedDim}-d${proj}; teacher ${teacher.embedDim}-d`]);
  if (method === 'tintem' && s.embedDim > teacher.embedDim) {
    rows.push(['note', `the student is wider than the teacher: TinTeM's head maps the teacher's ${teacher.embedDim}-d space up to ${s.embedDim}-d (expands instead of compressing); the student keeps its own width by default (set student.embedDim=${teacher.embedDim} for a projection to the teacher's width)`]);
  }
  if (teacher.tokenGrid > 0) {
    const sg = s.tokenGrid, tg = teacher.tokenGrid;
    rows.push(['token grid', `student ${sg}x${sg}, teacher ${tg}x${tg}${tg === sg ? ' (equal)' : ''}`]);
    const rule = gridMappingRule(sg, tg);
    if (rule) {
      rows.push(['grid rule', rule]);
      const alt = gridAlternative(s, teacher);
      if (alt) rows.push(['to match grids', alt]);
    }
  }
  return rows;
}

/** The exact setting that gives both models the same grid, when there is one. */
function gridAlternative(s: StudentDescription, teacher: TeacherFit): string | undefined {
  const out: string[] = [];
  if (teacher.fullGrid && teacher.inputSize % teacher.tokenGrid === 0) {
    const patch = teacher.inputSize / teacher.tokenGrid;
    out.push(`feed the teacher ${s.tokenGrid * patch} px (--teacher-option size=${s.tokenGrid * patch}) so its /${patch} grid is ${s.tokenGrid}x${s.tokenGrid}`);
  }
  if (s.patchSize !== undefined) {
    const patch = s.patchSize;
    out.push(`or give the student ${teacher.tokenGrid * patch} px (--set student.inputSize=${teacher.tokenGrid * patch}) so its /${patch} grid is ${teacher.tokenGrid}x${teacher.tokenGrid}`);
  }
  return out.length ? out.join('; ') : undefined;
}

/** The rows as aligned lines. */
export function formatFitRows(rows: Array<[string, string]>, width = 23): string[] {
  return rows.map(([k, v]) => `${k.padEnd(width)}${v}`);
}

/**
 * The rule alignTokenGrids (./tokenGrid.ts) applies to a student grid and a teacher grid, in words (for the dry run and
 * the start of a run): undefined when they are equal.
 */
export function gridMappingRule(studentGrid: number, teacherGrid: number): string | undefined {
  if (studentGrid === teacherGrid) return undefined;
  const [finer, coarser] = studentGrid > teacherGrid ? ['student', 'teacher'] : ['teacher', 'student'];
  const f = Math.max(studentGrid, teacherGrid), c = Math.min(studentGrid, teacherGrid);
  const how = f % c === 0
    ? `exact ${f / c}x${f / c} block averages`
    : `adaptive average pooling with PyTorch's overlapping bins, as ${f} is not a multiple of ${c}`;
  return `the token losses average-pool the ${finer}'s finer ${f}x${f} map to the ${coarser}'s ${c}x${c} (${how})`;
}
