/** Student kind `mobilenetv3` (builder: ../mobilenetv3.ts): torchvision's mobilenet_v3_small / _large `.features`. */
import type { MobilenetV3Size, MobilenetV3Spec } from '../mobilenetv3.js';
import type { StudentKindEntry } from '../registry.js';

/** torchvision's table: input, kernel, expanded, output, squeeze-excite, activation (RE / HS), stride. */
export type MobilenetV3Block = [number, number, number, number, boolean, 'RE' | 'HS', number];

export const MOBILENETV3_BLOCKS: Record<MobilenetV3Size, MobilenetV3Block[]> = {
  large: [
    [16, 3, 16, 16, false, 'RE', 1], [16, 3, 64, 24, false, 'RE', 2], [24, 3, 72, 24, false, 'RE', 1],
    [24, 5, 72, 40, true, 'RE', 2], [40, 5, 120, 40, true, 'RE', 1], [40, 5, 120, 40, true, 'RE', 1],
    [40, 3, 240, 80, false, 'HS', 2], [80, 3, 200, 80, false, 'HS', 1], [80, 3, 184, 80, false, 'HS', 1],
    [80, 3, 184, 80, false, 'HS', 1], [80, 3, 480, 112, true, 'HS', 1], [112, 3, 672, 112, true, 'HS', 1],
    [112, 5, 672, 160, true, 'HS', 2], [160, 5, 960, 160, true, 'HS', 1], [160, 5, 960, 160, true, 'HS', 1],
  ],
  small: [
    [16, 3, 16, 16, true, 'RE', 2], [16, 3, 72, 24, false, 'RE', 2], [24, 3, 88, 24, false, 'RE', 1],
    [24, 5, 96, 40, true, 'HS', 2], [40, 5, 240, 40, true, 'HS', 1], [40, 5, 240, 40, true, 'HS', 1],
    [40, 5, 120, 48, true, 'HS', 1], [48, 5, 144, 48, true, 'HS', 1], [48, 5, 288, 96, true, 'HS', 2],
    [96, 5, 576, 96, true, 'HS', 1], [96, 5, 576, 96, true, 'HS', 1],
  ],
};

/** Channels of the last feature map: 6x the last block's output. */
export function mobilenetV3Width(size: MobilenetV3Size): number {
  return 6 * MOBILENETV3_BLOCKS[size].at(-1)![3];
}

export function mobilenetV3TokenGrid(spec: MobilenetV3Spec): number {
  // Every stride-2 conv (kernel k, padding (k - 1) / 2): floor((s - 1) / 2) + 1.
  let side = Math.floor((spec.inputSize - 1) / 2) + 1;
  for (const b of MOBILENETV3_BLOCKS[spec.size]) if (b[6] === 2) side = Math.floor((side - 1) / 2) + 1;
  return side;
}

export const mobilenetV3Student: StudentKindEntry<MobilenetV3Spec> = {
  name: 'mobilenetv3',
  summary: "torchvision's MobileNetV3 features: inverted residuals with squeeze-excite and hard-swish, a 1x1 conv to 6x the last width",
  keys: ['size'],
  presets: [
    { name: 'mobilenetv3-small', summary: 'MobileNetV3-Small features (squeeze-excite, hard-swish; 576-d)', reference: 'torchvision mobilenet_v3_small().features', fields: { size: 'small' } },
    { name: 'mobilenetv3-large', summary: 'MobileNetV3-Large features (squeeze-excite, hard-swish; 960-d)', reference: 'torchvision mobilenet_v3_large().features', fields: { size: 'large' } },
  ],
  check(_spec, need) {
    need('size', (v) => v === 'small' || v === 'large', "'small' or 'large'");
  },
  tokenGrid: mobilenetV3TokenGrid,
  trunkWidth: (spec) => mobilenetV3Width(spec.size),
};
