/**
 * Reader for the IDX format used by MNIST and Fashion-MNIST: two zero bytes, a dtype byte, a dimension count,
 * big-endian uint32 dims, then big-endian values. Gzipped files (magic 1f 8b) are gunzipped transparently.
 */
import { gunzipSync } from 'node:zlib';
import { UserError } from '../util/errors.js';
import { GiB, openRegular, readFileCheckedAsync } from '../util/safe-read.js';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  dims: number[];
  /** Values in row-major order, converted to host byte order. uint8 data is a view of the file bytes (no copy). */
  data: IdxData;
}

const DTYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** True when bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses IDX bytes (already gunzipped). `source` names the file in error messages. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const bad = (what: string) => new UserError(`${source}: not a valid IDX file (${what})`);
  if (bytes.length < 4) throw bad(`only ${bytes.length} bytes, expected at least a 4-byte header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw bad('magic number must start with two zero bytes');
  const type = DTYPES[bytes[2]!];
  if (!type) throw bad(`unknown dtype code 0x${bytes[2]!.toString(16)}`);
  const ndims = bytes[3]!;
  if (ndims === 0) throw bad('zero dimensions');
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) throw bad(`truncated header: ${bytes.length} bytes, expected ${headerBytes}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length < expected) {
    throw bad(`truncated: ${bytes.length} bytes, header [${dims.join(', ')}] ${type.dtype} needs ${expected}`);
  }
  return { dtype: type.dtype, dims, data: decodeValues(view, headerBytes, count, type.dtype, bytes) };
}

function decodeValues(view: DataView, start: number, n: number, dtype: IdxDtype, bytes: Uint8Array): IdxData {
  switch (dtype) {
    case 'uint8': return bytes.subarray(start, start + n);
    case 'int8': return new Int8Array(bytes.buffer, bytes.byteOffset + start, n);
    case 'int16': { const a = new Int16Array(n); for (let i = 0; i < n; i++) a[i] = view.getInt16(start + 2 * i, false); return a; }
    case 'int32': { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = view.getInt32(start + 4 * i, false); return a; }
    case 'float32': { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = view.getFloat32(start + 4 * i, false); return a; }
    case 'float64': { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = view.getFloat64(start + 8 * i, false); return a; }
  }
}

/** Reads an IDX file, gunzipping it first when it is gzip-compressed (detected by content, not by name). */
/** The largest IDX file read (an IDX set of tintem's own, e.g. a corrupted copy, can be larger than MNIST). */
export const MAX_IDX_BYTES = 4 * GiB;

export async function readIdx(path: string): Promise<IdxArray> {
  // Regular files only, opened non-blocking, at most MAX_IDX_BYTES (MNIST's largest is 47 MB).
  let raw: Uint8Array = await readFileCheckedAsync(path, { what: 'IDX file', maxBytes: MAX_IDX_BYTES });
  if (isGzip(raw)) {
    try {
      raw = gunzipSync(raw);
    } catch (e) {
      throw new UserError(`${path}: corrupt or truncated gzip data (${(e as Error).message})`);
    }
  }
  return parseIdx(raw, path);
}

/** Encodes an IDX file (big-endian), the inverse of {@link parseIdx}; used to build fixtures. */
export function encodeIdx(dtype: IdxDtype, dims: number[], values: ArrayLike<number>): Uint8Array {
  const code = Number(Object.keys(DTYPES).find((k) => DTYPES[Number(k)]!.dtype === dtype));
  const size = DTYPES[code]!.bytes;
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`encodeIdx: ${values.length} values for dims [${dims.join(', ')}]`);
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count * size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = values[i]!, at = header + i * size;
    switch (dtype) {
      case 'uint8': view.setUint8(at, v); break;
      case 'int8': view.setInt8(at, v); break;
      case 'int16': view.setInt16(at, v, false); break;
      case 'int32': view.setInt32(at, v, false); break;
      case 'float32': view.setFloat32(at, v, false); break;
      case 'float64': view.setFloat64(at, v, false); break;
    }
  }
  return out;
}

/**
 * Reads only rows [offset, offset + limit) of an uncompressed uint8 IDX file (dims keep the full shape, `firstRow`
 * says where `data` starts), so `--limit 2000` of MNIST reads 1.5 MB instead of 47 MB. Gzipped or non-uint8
 * files are read whole.
 */
export async function readIdxRows(path: string, offset: number, limit: number): Promise<IdxArray & { firstRow: number }> {
  const { fh } = await openRegular(path, { what: 'IDX file', maxBytes: MAX_IDX_BYTES });
  try {
    const head = new Uint8Array(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    const ndims = head[3]!;
    if (bytesRead < 4 || isGzip(head) || head[0] !== 0 || head[1] !== 0 || head[2] !== 0x08 || ndims === 0) {
      return { ...(await readIdx(path)), firstRow: 0 };
    }
    const headerBytes = 4 + 4 * ndims;
    const header = new Uint8Array(headerBytes);
    await fh.read(header, 0, headerBytes, 0);
    const view = new DataView(header.buffer);
    const dims = Array.from({ length: ndims }, (_, d) => view.getUint32(4 + 4 * d, false));
    const total = dims[0]!;
    const rowBytes = dims.slice(1).reduce((a, b) => a * b, 1);
    const size = (await fh.stat()).size;
    if (size < headerBytes + total * rowBytes) {
      throw new UserError(`${path}: not a valid IDX file (truncated: ${size} bytes, header [${dims.join(', ')}] uint8 needs ${headerBytes + total * rowBytes})`);
    }
    const first = Math.max(0, Math.min(offset, total));
    const count = Math.max(0, Math.min(limit, total - first));
    const data = new Uint8Array(count * rowBytes);
    if (data.length > 0) await fh.read(data, 0, data.length, headerBytes + first * rowBytes);
    return { dtype: 'uint8', dims, data, firstRow: first };
  } finally {
    await fh.close();
  }
}
