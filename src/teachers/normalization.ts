/** Per-channel input normalisations (no TensorFlow here, so teacher specs can be checked without loading it). */

/** Per-channel normalisation applied to [0, 1] pixels: (x - mean) / std. [-1, 1] scaling is mean 0.5, std 0.5. */
export interface Normalization {
  mean: number[];
  std: number[];
}

export const MINUS_ONE_TO_ONE: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
export const IMAGENET_MEAN_STD: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
