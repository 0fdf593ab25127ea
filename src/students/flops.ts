/**
 * Floating-point operations of one forward pass of one image, counted from the model's layers: 2 per
 * multiply-accumulate of convolutions (dense and depthwise), Dense layers and self-attention (q/k/v and output
 * projections, q k^T and the attention-weighted sum); normalisation, activations, pooling and additions are not
 * counted (a few percent at most). The convention of fvcore / ptflops counts multiply-accumulates ("MACs"), half
 * of this number: torchvision resnet18 at 224 px is 1.82 G MACs = 3.64 GFLOPs.
 */
import type { tf } from '../backend/index.js';

type Shape = Array<number | null>;
const prod = (xs: Array<number | null>) => xs.reduce<number>((a, d) => a * (d ?? 1), 1);

/** Multiply-accumulates per image. */
export function studentMacs(model: tf.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as { kernelSize?: number[]; filters?: number; units?: number; numHeads?: number };
    const out = (Array.isArray(layer.outputShape[0]) ? layer.outputShape[0] : layer.outputShape) as Shape;
    const inShape = (Array.isArray(layer.input) ? layer.input[0]!.shape : layer.input.shape) as Shape;
    if (cls === 'Conv2D') {
      const [kh, kw] = cfg.kernelSize!;
      macs += prod(out.slice(1, 3)) * kh! * kw! * inShape[3]! * cfg.filters!;
    } else if (cls === 'DepthwiseConv2D') {
      const [kh, kw] = cfg.kernelSize!;
      macs += prod(out.slice(1)) * kh! * kw!;
    } else if (cls === 'Dense') {
      macs += prod(out.slice(1, -1)) * inShape.at(-1)! * cfg.units!;
    } else if (typeof cfg.numHeads === 'number') {
      const [, len, width] = out as [null, number, number];
      macs += 4 * len * width * width + 2 * len * len * width;
    }
  }
  return macs;
}

/** FLOPs per image (2 per multiply-accumulate). */
export function studentFlops(model: tf.LayersModel): number {
  return 2 * studentMacs(model);
}
