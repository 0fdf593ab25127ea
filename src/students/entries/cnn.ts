/** Student kind `cnn`: tintem's small ResNet-style CNN (builder: ../cnn.ts), sized for the input. */
import { UserError } from '../../util/errors.js';
import type { CnnSpec } from '../cnn.js';
import { intUpTo, STUDENT_LIMITS as L } from '../limits.js';
import type { StudentKindEntry } from '../registry.js';

/**
 * A small CNN that trains fast on 2 CPU cores: a stride-2 stem (32 ch) then stages of one basic block
 * (32, 64, then 128 ch at most), adding stride-2 stages until the token grid is at most 8 (28 px -> 14 -> 7x7),
 * d = 64; about 81 k parameters at 28 px. Keeping the stem at stride 2 made a batch-128 training step about 3x
 * faster than a stride-1 stem of the same size, for the same 7x7 grid.
 */
export function defaultStudentSpec(inputSize = 28, channels: 1 | 3 = 1): CnnSpec {
  // Photo-sized inputs (>= 96 px) get a stride-4 stem (ResNet's conv + max-pool), so a 224 px batch of 128
  // trains in a few GB: the first full-width map is 56x56 instead of 112x112.
  const stemStride = inputSize >= 96 ? 4 : 2;
  const widthMultipliers = [1];
  for (let side = Math.ceil(inputSize / stemStride); side > 8; side = Math.ceil(side / 2)) widthMultipliers.push(Math.min(4, 2 ** widthMultipliers.length));
  if (widthMultipliers.length === 1) widthMultipliers.push(2);
  return {
    kind: 'cnn', inputSize, channels, embedDim: 64,
    stemWidth: 32, stemStride, widthMultipliers, blocksPerStage: widthMultipliers.map(() => 1),
  };
}

/** Side of the output grid: 'same' convs give ceil(size / stride) at each stride-2 step. */
export function cnnTokenGrid(spec: CnnSpec): number {
  let side = spec.stemStride === 4 ? Math.ceil(Math.ceil(spec.inputSize / 2) / 2) : Math.ceil(spec.inputSize / spec.stemStride);
  for (let s = 1; s < spec.blocksPerStage.length; s++) side = Math.ceil(side / 2);
  return side;
}

export const cnnStudent: StudentKindEntry<CnnSpec> = {
  name: 'cnn',
  summary: "tintem's small ResNet-style CNN: a stem conv, stages of basic blocks, a 1x1 conv to embedDim",
  keys: ['stemWidth', 'stemStride', 'widthMultipliers', 'blocksPerStage'],
  widthKey: 'stemWidth',
  presets: [{
    name: 'cnn', summary: "tintem's small ResNet-style CNN sized for the input (the default; ~81k parameters at 28 px)", fields: {},
    sized: (size, channels) => defaultStudentSpec(size, channels),
  }],
  check(spec, need, what) {
    need('stemWidth', intUpTo(L.width), `an integer 1..${L.width}`);
    need('stemStride', (v) => v === 1 || v === 2 || v === 4, '1, 2 or 4');
    need('widthMultipliers', (v) => Array.isArray(v) && v.length > 0 && v.length <= L.stages && v.every((m) => typeof m === 'number' && m > 0 && m <= L.multiplier),
      `a list of 1..${L.stages} numbers in (0, ${L.multiplier}]`);
    need('blocksPerStage', (v) => Array.isArray(v) && v.length === (spec.widthMultipliers as unknown[]).length && v.every(intUpTo(L.blocks)),
      `a list of integers 1..${L.blocks}, one per width multiplier`);
    if ((spec.stemWidth as number) * Math.max(...(spec.widthMultipliers as number[])) > L.width) throw new UserError(`${what}: stemWidth x widthMultipliers exceeds ${L.width} channels`);
  },
  tokenGrid: cnnTokenGrid,
  trunkWidth: (spec) => spec.embedDim,
};
