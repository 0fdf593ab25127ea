/** Reading ONNX files from disk: regular files only, size-capped before a byte is read, parsed with one-line errors. */
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';
import { GiB, readFileChecked } from '../util/safe-read.js';
import { parseModel, type ModelProto } from './proto.js';

/** ONNX protobufs are capped at 2 GiB by the format itself (bigger models keep external data). */
export const MAX_ONNX_BYTES = 2 * GiB;

export interface ReadOnnxOptions {
  /** What the file is, for messages (default 'ONNX model'). */
  what?: string;
  /** Size cap (default 2 GiB). */
  maxBytes?: number;
  /** The real path must lie inside this folder. */
  within?: string;
}

/** The file's bytes (bounded, regular file only). */
export function readOnnxBytes(path: string, opts: ReadOnnxOptions = {}): Uint8Array {
  const buf = readFileChecked(path, { what: opts.what ?? 'ONNX model', maxBytes: opts.maxBytes ?? MAX_ONNX_BYTES, within: opts.within });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Parses ONNX bytes read from `path`; a parse failure is a one-line UserError naming the file. */
export function parseOnnxBytes(bytes: Uint8Array, path: string): ModelProto {
  try {
    return parseModel(bytes, quoteName(path));
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

/** Reads and parses an ONNX file. */
export function readOnnxModel(path: string, opts: ReadOnnxOptions = {}): ModelProto {
  return parseOnnxBytes(readOnnxBytes(path, opts), path);
}
