/**
 * The files an ONNX model is made of: the graph and every external-data file its tensors point to
 * (TensorProto.external_data 'location', the default of the newer exporter for models over 2 GB and of
 * onnx.save_model(save_as_external_data=True)). The model's identity hashes all of them, so new weights under an
 * unchanged graph never reuse the old embeddings. Read with a minimal protobuf walker (field numbers from onnx.proto).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { UserError } from '../util/errors.js';

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

function tensorLocations(tensor: Uint8Array, out: Set<string>): void {
  for (const entry of readMessage(tensor).get(13) ?? []) { // external_data: StringStringEntryProto
    const kv = readMessage(entry);
    if (text(kv.get(1)?.[0] ?? new Uint8Array()) === 'location' && kv.get(2)) out.add(text(kv.get(2)![0]!));
  }
}

function graphLocations(graph: Uint8Array, out: Set<string>): void {
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

/** External-data file names (relative to the model's folder) that the model's tensors reference. */
export function externalDataLocations(model: Uint8Array, path: string): string[] {
  const out = new Set<string>();
  try {
    for (const graph of readMessage(model).get(7) ?? []) graphLocations(graph, out);
  } catch (e) {
    throw new UserError(`onnx teacher: could not load '${path}' (not an ONNX model: ${(e as Error).message})`);
  }
  return [...out].sort();
}

export interface OnnxModelFiles {
  graph: Buffer;
  /** Absolute paths of the external-data files. */
  external: string[];
  /** SHA-256 over the graph and every external-data file (name and bytes). */
  hash: string;
}

/** Streams a (possibly multi-GB) file into the hash in 4 MB chunks. */
function hashFile(hash: ReturnType<typeof createHash>, file: string): void {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(4 << 20);
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0;) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** Reads the graph, finds and checks its external-data files (inside the model's folder), hashes them all. */
export function readOnnxModel(path: string, graph: Buffer = readFileSync(resolve(path))): OnnxModelFiles {
  const abs = resolve(path);
  const dir = dirname(abs);
  const hash = createHash('sha256').update(graph);
  const external: string[] = [];
  for (const location of externalDataLocations(graph, path)) {
    const file = resolve(dir, location);
    const rel = relative(dir, file);
    if (isAbsolute(location) || rel.startsWith('..') || isAbsolute(rel)) {
      throw new UserError(`onnx teacher: '${path}' points to external data '${location}' outside its folder (expected a file next to the model)`);
    }
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new UserError(`onnx teacher: external data '${location}' of '${path}' not found in ${dir} (keep the .data file next to the model)`);
    }
    hash.update(`\0${location}\0`);
    hashFile(hash, file);
    external.push(file);
  }
  return { graph, external, hash: hash.digest('hex') };
}
