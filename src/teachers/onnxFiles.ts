/**
 * The files an ONNX model is made of: the graph and every external-data file its tensors point to
 * (TensorProto.external_data 'location', the default of the newer exporter for models over 2 GB and of
 * onnx.save_model(save_as_external_data=True)). The model's identity hashes all of them, so new weights under an
 * unchanged graph never reuse the old embeddings. Read with a minimal protobuf walker (field numbers from onnx.proto).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { UserError } from '../util/errors.js';
import { oneLine, quoteName } from '../util/quote.js';
import { GiB, readFileChecked } from '../util/safe-read.js';

type Fields = Map<number, Uint8Array[]>;

/** Length-delimited fields of one message by field number (other wire types are skipped). */
function readMessage(buf: Uint8Array): Fields {
  const fields: Fields = new Map();
  let i = 0;
  const varint = (): number => {
    let result = 0, shift = 0, b: number;
    do {
      if (i >= buf.length) throw new Error('truncated varint');
      b = buf[i++]!;
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (i + len > buf.length) throw new Error('truncated field');
      const list = fields.get(field) ?? [];
      list.push(buf.subarray(i, i + len));
      fields.set(field, list);
      i += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return fields;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Where a tensor's bytes live in an external-data file: the file, and the end of its byte range (undefined without a length). */
interface ExternalRef { location: string; end?: number }

function tensorLocations(tensor: Uint8Array, out: ExternalRef[]): void {
  const kv = new Map<string, string>();
  for (const entry of readMessage(tensor).get(13) ?? []) { // external_data: StringStringEntryProto
    const e = readMessage(entry);
    if (e.get(1) && e.get(2)) kv.set(text(e.get(1)![0]!), text(e.get(2)![0]!));
  }
  const location = kv.get('location');
  if (location === undefined) return;
  const offset = Number(kv.get('offset') ?? 0), length = kv.has('length') ? Number(kv.get('length')) : undefined;
  out.push({ location, end: length !== undefined && Number.isSafeInteger(offset) && Number.isSafeInteger(length) ? offset + length : undefined });
}

function graphLocations(graph: Uint8Array, out: ExternalRef[]): void {
  const g = readMessage(graph);
  for (const t of g.get(5) ?? []) tensorLocations(t, out); // initializer
  for (const s of g.get(15) ?? []) for (const t of readMessage(s).get(1) ?? []) tensorLocations(t, out); // sparse values
  for (const node of g.get(1) ?? []) {
    for (const attr of readMessage(node).get(5) ?? []) {
      const a = readMessage(attr);
      for (const t of [...(a.get(5) ?? []), ...(a.get(10) ?? [])]) tensorLocations(t, out); // t, tensors
      for (const sub of [...(a.get(6) ?? []), ...(a.get(11) ?? [])]) graphLocations(sub, out); // g, graphs
    }
  }
}

/** External-data references of the model's tensors (file names relative to the model's folder). */
function externalRefs(model: Uint8Array, path: string): ExternalRef[] {
  const out: ExternalRef[] = [];
  try {
    for (const graph of readMessage(model).get(7) ?? []) graphLocations(graph, out);
  } catch (e) {
    throw new UserError(`onnx teacher: could not load '${path}' (not an ONNX model: ${(e as Error).message})`);
  }
  return out;
}

/** External-data file names (relative to the model's folder) that the model's tensors reference. */
export function externalDataLocations(model: Uint8Array, path: string): string[] {
  return [...new Set(externalRefs(model, path).map((r) => r.location))].sort();
}

/** Slack allowed past the last byte the tensors use (exporters may pad or align the data file). */
const DATA_SLACK_BYTES = 1 << 20;
/** The largest external-data file hashed (ONNX's protobuf limit is 2 GB for the graph; weights of the largest ViTs fit). */
const MAX_DATA_BYTES = 64 * GiB;

export interface OnnxModelFiles {
  graph: Buffer;
  /** Absolute paths of the external-data files. */
  external: string[];
  /** SHA-256 over the graph and every external-data file (name and bytes). */
  hash: string;
}

function kind(info: Stats): string {
  return info.isDirectory() ? 'a folder' : info.isFIFO() ? 'a named pipe' : info.isCharacterDevice() || info.isBlockDevice() ? 'a device' : info.isSocket() ? 'a socket' : 'not a file';
}

/**
 * Checks an external-data file and streams it (possibly multi-GB) into the hash in 4 MB chunks: opened non-blocking
 * and checked to be a regular file first (a FIFO or a device link is named as such, not "not found"), and its size
 * against the byte ranges the tensors read (a truncated file, or one far larger than they use, is refused here
 * instead of by onnxruntime).
 */
function hashDataFile(hash: ReturnType<typeof createHash>, file: string, location: string, model: string, need: number | undefined): void {
  const where = `onnx teacher: external data '${oneLine(location)}' of '${oneLine(model)}'`;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${where}: not found in ${quoteName(dirname(file))} (keep the .data file next to the model)`);
    throw new UserError(`${where}: cannot open (${code ?? (e as Error).message})`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new UserError(`${where}: not a regular file (${kind(info)}); expected the weights file written with the model`);
    if (need !== undefined && info.size < need) throw new UserError(`${where}: truncated (${info.size} bytes; the model's tensors need ${need}); copy the .data file again`);
    if (need !== undefined && info.size > need + DATA_SLACK_BYTES) {
      throw new UserError(`${where}: ${info.size} bytes, but the model's tensors use only ${need}; is it the data file of another model?`);
    }
    if (info.size > MAX_DATA_BYTES) throw new UserError(`${where}: ${info.size} bytes is more than the ${MAX_DATA_BYTES}-byte limit for external data`);
    const chunk = Buffer.allocUnsafe(4 << 20);
    let left = info.size;
    for (let n; left > 0 && (n = readSync(fd, chunk, 0, Math.min(chunk.length, left), null)) > 0; left -= n) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** Reads the graph, finds and checks its external-data files (inside the model's folder), hashes them all. */
export function readOnnxModel(path: string, graph?: Buffer): OnnxModelFiles {
  const abs = resolve(path);
  graph ??= readFileChecked(abs, { what: 'onnx model', maxBytes: 2 * GiB });
  const dir = dirname(abs);
  const hash = createHash('sha256').update(graph);
  const external: string[] = [];
  const refs = externalRefs(graph, path);
  for (const location of [...new Set(refs.map((r) => r.location))].sort()) {
    const file = resolve(dir, location);
    const rel = relative(dir, file);
    if (isAbsolute(location) || rel.startsWith('..') || isAbsolute(rel)) {
      throw new UserError(`onnx teacher: '${path}' points to external data '${location}' outside its folder (expected a file next to the model)`);
    }
    const mine = refs.filter((r) => r.location === location);
    const need = mine.every((r) => r.end !== undefined) ? Math.max(0, ...mine.map((r) => r.end!)) : undefined;
    hash.update(`\0${location}\0`);
    hashDataFile(hash, file, location, path, need);
    external.push(file);
  }
  return { graph, external, hash: hash.digest('hex') };
}
