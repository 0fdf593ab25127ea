/** Student kind `resnet` (builder: ../resnet.ts): torchvision's ResNet trunk without `fc`. */
import type { StudentKindEntry } from '../registry.js';
import type { ResnetDepth, ResnetSpec } from '../resnet.js';

export const RESNET_LAYOUTS: Record<ResnetDepth, { bottleneck: boolean; blocks: number[] }> = {
  18: { bottleneck: false, blocks: [2, 2, 2, 2] },
  34: { bottleneck: false, blocks: [3, 4, 6, 3] },
  50: { bottleneck: true, blocks: [3, 4, 6, 3] },
  101: { bottleneck: true, blocks: [3, 4, 23, 3] },
  152: { bottleneck: true, blocks: [3, 8, 36, 3] },
};

/** Channels of the last feature map. */
export function resnetWidth(depth: ResnetDepth): number {
  return RESNET_LAYOUTS[depth].bottleneck ? 2048 : 512;
}

/** PyTorch's conv output side: floor((size + 2 pad - kernel) / stride) + 1. */
const convOut = (size: number, kernel: number, stride: number, pad: number) => Math.floor((size + 2 * pad - kernel) / stride) + 1;

export function resnetTokenGrid(spec: ResnetSpec): number {
  let side = convOut(convOut(spec.inputSize, 7, 2, 3), 3, 2, 1);
  for (let s = 1; s < 4; s++) side = convOut(side, 3, 2, 1);
  return side;
}

export const resnetStudent: StudentKindEntry<ResnetSpec> = {
  name: 'resnet',
  summary: "torchvision's ResNet trunk: 7x7 stem, max-pool, four stages (basic blocks or bottlenecks), no fc",
  keys: ['depth'],
  presets: [
    { name: 'resnet18', summary: 'ResNet-18 trunk (basic blocks 2-2-2-2, 512-d)', reference: 'torchvision resnet18 without fc', fields: { depth: 18 } },
    { name: 'resnet50', summary: 'ResNet-50 trunk (bottlenecks 3-4-6-3, 2048-d)', reference: 'torchvision resnet50 without fc', fields: { depth: 50 } },
  ],
  check(_spec, need) {
    need('depth', (v) => typeof v === 'number' && v in RESNET_LAYOUTS, Object.keys(RESNET_LAYOUTS).join(', '));
  },
  tokenGrid: resnetTokenGrid,
  trunkWidth: (spec) => resnetWidth(spec.depth),
};
