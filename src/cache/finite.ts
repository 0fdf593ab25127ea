/**
 * Teacher outputs are checked before they are cached: a NaN from a broken ONNX export or an fp16 overflow would
 * otherwise be stored for good, and distill would later blame the learning rate.
 */
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';

/** Throws a one-line UserError naming the images (up to 5) whose rows of `values` hold NaN or Infinity. */
export function assertFiniteRows(values: Float32Array, rowLength: number, firstIndex: number, sources: string[] | undefined, setName: string, teacherId: string, what: string): void {
  const bad: number[] = [];
  const rows = rowLength > 0 ? values.length / rowLength : 0;
  for (let r = 0; r < rows; r++) {
    for (let j = r * rowLength, end = j + rowLength; j < end; j++) {
      if (!Number.isFinite(values[j]!)) { bad.push(firstIndex + r); break; }
    }
  }
  if (bad.length === 0) return;
  const names = bad.slice(0, 5).map((i) => quoteName(sources?.[i] ?? `${setName}#${i}`)).join(', ');
  const more = bad.length > 5 ? ` and ${bad.length - 5} more` : '';
  throw new UserError(`teacher ${teacherId} returned non-finite ${what} (NaN or Infinity) for ${bad.length} image(s): ${names}${more}; nothing of them was cached: check the model file and its --normalization / --input-size`);
}
