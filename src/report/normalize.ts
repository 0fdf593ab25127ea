/** Turns in-memory ReportData (typed arrays, raw pixel images, NaN) into its validated JSON form. */
import { encodePngDataUri } from './png.js';
import type { ReportData, ReportDataJson, ReportImage } from './types.js';
import { parseReportData } from './validate.js';

/**
 * Encodes pixel images as PNG data URIs, converts typed arrays to plain arrays and non-finite numbers to null,
 * then validates. Already-normalised data passes through unchanged.
 */
export async function normalizeReportData(data: ReportData, source = 'report data'): Promise<ReportDataJson> {
  let neighbours = data.neighbours;
  if (neighbours) {
    const encode = (img: ReportImage, what: string): Promise<string> => (typeof img === 'string' ? Promise.resolve(img) : encodePngDataUri(img, what));
    neighbours = {
      ...neighbours,
      queries: await Promise.all(
        neighbours.queries.map(async (q, qi) => ({
          ...q,
          image: await encode(q.image, `${source}: neighbours.queries[${qi}].image`),
          neighbours: Object.fromEntries(
            await Promise.all(
              Object.entries(q.neighbours ?? {}).map(async ([id, list]) => [
                id,
                await Promise.all((list ?? []).map(async (nb, k) => ({ ...nb, image: await encode(nb.image, `${source}: neighbours.queries[${qi}].neighbours.${id}[${k}].image`) }))),
              ]),
            ),
          ),
        })),
      ),
    };
  }
  return parseReportData(toJsonValue({ ...data, neighbours }), source);
}

/** Deep copy as JSON values: typed arrays become arrays, NaN/Infinity become null, undefined keys are dropped. */
export function toJsonValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : null));
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v);
  return out;
}

/** Serialises report data compactly: floats to 6 significant digits (plenty for plots and 3-decimal tables). */
export function stringifyReportData(data: ReportDataJson): string {
  return JSON.stringify(data, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v));
}
