/** An in-memory batch of images: NHWC float32 in [0, 1]. Labels are for evaluation only, never for training. */
export interface ImageSet {
  /** Short human name, e.g. 'mnist-train'. */
  name: string;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** count * height * width * channels values in [0, 1], NHWC order. */
  pixels: Float32Array;
  labels?: Int32Array;
  classNames?: string[];
  /** Where each image came from (file path or 'mnist-train#123'), for reports and error messages. */
  sources?: string[];
}
