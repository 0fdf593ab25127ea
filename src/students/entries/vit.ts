/**
 * Student kind `vit` (builder: ../vit.ts): tintem's small ViT sized for the input, and timm's ViT-Ti / ViT-S with
 * patch 16 or 14 (`VisionTransformer(patch_size, embed_dim=192|384, depth=12, num_heads=3|6, num_classes=0)`:
 * pre-norm blocks, CLS token, learned position embeddings that follow the input size, final norm).
 */
import { UserError } from '../../util/errors.js';
import { intUpTo, STUDENT_LIMITS as L } from '../limits.js';
import type { StudentKindEntry } from '../registry.js';
import type { VitSpec } from '../vit.js';

/** Patch side for a photo-sized ViT: 16 at 224 (grid 14), 8 at 112; the nearest divisor of the input to size/14. */
export function vitPatchFor(inputSize: number, grid = 14): number {
  const want = inputSize / grid;
  let best = 1;
  for (let p = 1; p <= inputSize; p++) if (inputSize % p === 0 && Math.abs(p - want) < Math.abs(best - want)) best = p;
  return best;
}

/**
 * A small ViT preset. MNIST scale: patch 4 on 28 px -> 7x7 tokens, width 64, 4 blocks, 4 heads. Photo scale
 * (>= 64 px): the patch follows the input so the grid stays about 14x14 (ViT-Ti/16 at 224, /8 at 112), with
 * ViT-Ti's width 192 and 3 heads, 6 blocks to stay trainable on a CPU.
 */
export function defaultVitSpec(inputSize = 28, channels: 1 | 3 = 1): VitSpec {
  if (inputSize >= 64) {
    const patchSize = vitPatchFor(inputSize);
    return { kind: 'vit', inputSize, channels, embedDim: 192, patchSize, width: 192, depth: 6, numHeads: 3, mlpRatio: 4 };
  }
  return { kind: 'vit', inputSize, channels, embedDim: 64, patchSize: inputSize % 4 === 0 ? 4 : 1, width: 64, depth: 4, numHeads: 4, mlpRatio: 2 };
}

export function vitTokenGrid(spec: VitSpec): number {
  return spec.inputSize / spec.patchSize;
}

export function checkVitSpec(spec: VitSpec, what: string): void {
  if (spec.inputSize % spec.patchSize !== 0) {
    const below = Math.floor(spec.inputSize / spec.patchSize) * spec.patchSize;
    const near = [below, below + spec.patchSize].filter((s) => s > 0).join(' or ');
    throw new UserError(`${what}: inputSize ${spec.inputSize} is not a multiple of patchSize ${spec.patchSize} (set student.inputSize, e.g. ${near})`);
  }
  if (spec.width % spec.numHeads !== 0) throw new UserError(`${what}: width ${spec.width} is not divisible by numHeads ${spec.numHeads}`);
}

const timm = (name: string, patchSize: number, width: number, numHeads: number) => ({
  name,
  summary: `ViT-${width === 192 ? 'Ti' : 'S'}/${patchSize}: patch ${patchSize}, width ${width}, 12 pre-norm blocks, ${numHeads} heads, CLS token (${width}-d)`,
  reference: `timm VisionTransformer(patch_size=${patchSize}, embed_dim=${width}, depth=12, num_heads=${numHeads}, num_classes=0)`,
  fields: { patchSize, width, depth: 12, numHeads, mlpRatio: 4 },
});

export const vitStudent: StudentKindEntry<VitSpec> = {
  name: 'vit',
  summary: 'pre-norm ViT: patch embedding, CLS token, learned position embeddings, transformer blocks, final LayerNorm',
  keys: ['patchSize', 'width', 'depth', 'numHeads', 'mlpRatio'],
  widthKey: 'width',
  presets: [
    {
      name: 'vit', summary: "tintem's small ViT sized for the input (patch 4 at 28 px; ViT-Ti width, 6 blocks at photo sizes)", fields: {},
      sized: (size, channels) => defaultVitSpec(size, channels),
    },
    timm('vit-ti16', 16, 192, 3),
    timm('vit-ti14', 14, 192, 3),
    timm('vit-s16', 16, 384, 6),
    timm('vit-s14', 14, 384, 6),
  ],
  check(spec, need, what) {
    for (const key of ['patchSize', 'width', 'numHeads']) need(key, intUpTo(L.width), `an integer 1..${L.width}`);
    need('depth', intUpTo(L.depth), `an integer 1..${L.depth}`);
    need('mlpRatio', (v) => typeof v === 'number' && v > 0 && v <= 16, 'a number in (0, 16]');
    checkVitSpec(spec as unknown as VitSpec, what);
  },
  tokenGrid: vitTokenGrid,
  trunkWidth: (spec) => spec.width,
};
