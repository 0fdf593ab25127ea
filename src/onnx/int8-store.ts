/**
 * The int8 teacher model files of a cache folder: `<dir>/<sha256>.onnx` holds the dynamic-int8 rewrite
 * (./dynamic-quantize.ts) of a float model, named by the SHA-256 of its own bytes (content-addressed, sealed: the
 * hash is checked on every load, so a changed or truncated file is refused, never run); `<dir>/<source>-q<v>.json`
 * points from the float model's hash (graph plus external data) to it, so a second run skips the rewrite.
 */
import { existsSync } from 'node:fs';
import { cpuFlags } from '../util/cpu.js';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { quoteName } from '../util/quote.js';
import { MiB, readFileChecked } from '../util/safe-read.js';
import { DYNAMIC_QUANT_VERSION, inlineExternalData, quantizeDynamicInt8, type DynamicQuantizeOptions } from './dynamic-quantize.js';
import { serializeModel } from './proto.js';
import { MAX_ONNX_BYTES, readOnnxModel } from './read.js';

export interface Int8Model {
  /** The rewritten model's bytes (checked against `sha`). */
  bytes: Uint8Array;
  /** SHA-256 of `bytes`: the model's content address. */
  sha: string;
  /** Where it is stored, or undefined when no folder was given. */
  file?: string;
  /** MatMul / Gemm nodes rewritten (0: nothing to quantise). */
  quantized: number;
  /** True when it was read from the folder rather than rewritten now. */
  reused: boolean;
}

/**
 * 8-bit weights where the CPU multiplies uint8 x int8 without saturating (VNNI / AMX on x86, any arm64), else 7
 * (onnxruntime's reduce_range: AVX2's pairwise int16 sums can saturate with full-range weights).
 */
export function defaultWeightBits(): 7 | 8 {
  if (process.arch !== 'x64') return 8;
  return cpuFlags().some((f) => f === 'avx512_vnni' || f === 'avx_vnni' || f === 'amx_int8') ? 8 : 7;
}

interface Pointer { format: 1; source: string; version: number; int8: string; quantized: number }

/** Reads `<dir>/<sha>.onnx` and checks its hash; a mismatch is a one-line UserError naming the file. */
export function readSealedInt8(dir: string, sha: string): Uint8Array {
  const file = join(dir, `${sha}.onnx`);
  const buf = readFileChecked(file, { what: 'int8 teacher model', maxBytes: MAX_ONNX_BYTES, within: dir });
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (sha256(bytes) !== sha) {
    throw new UserError(`int8 teacher model ${quoteName(file)} fails its checksum (changed or corrupt since it was written); delete it and run again to rebuild it`);
  }
  return bytes;
}

/**
 * The int8 rewrite of the float ONNX model at `path` (whose content hash is `sourceHash`): read from `dir` when
 * a sealed copy is there, else rewritten now (and stored there, atomically, when `dir` is given).
 */
export function int8ModelFor(path: string, sourceHash: string, dir: string | undefined, options: DynamicQuantizeOptions = {}): Int8Model {
  const opts: DynamicQuantizeOptions = { ...options, weightBits: options.weightBits ?? defaultWeightBits() };
  const tag = `${opts.perChannel === false ? 't' : 'c'}${opts.weightBits ?? 8}`;
  const pointerFile = dir ? join(dir, `${sourceHash}-q${DYNAMIC_QUANT_VERSION}${tag}.json`) : undefined;
  if (dir && pointerFile && existsSync(pointerFile)) {
    let pointer: Pointer | undefined;
    try {
      const p = JSON.parse(readFileChecked(pointerFile, { what: 'int8 teacher pointer', maxBytes: MiB, within: dir }).toString('utf8')) as Pointer;
      if (p.format === 1 && p.source === sourceHash && typeof p.int8 === 'string' && /^[0-9a-f]{64}$/.test(p.int8)) pointer = p;
    } catch { /* unreadable pointer: rebuild below */ }
    if (pointer && existsSync(join(dir, `${pointer.int8}.onnx`))) {
      return { bytes: readSealedInt8(dir, pointer.int8), sha: pointer.int8, file: join(dir, `${pointer.int8}.onnx`), quantized: pointer.quantized, reused: true };
    }
  }
  const model = inlineExternalData(readOnnxModel(path, { what: 'onnx teacher model (an .onnx file)' }), path);
  const { model: q, quantized } = quantizeDynamicInt8(model, opts);
  const bytes = serializeModel(q);
  const sha = sha256(bytes);
  if (!dir) return { bytes, sha, quantized, reused: false };
  const file = join(dir, `${sha}.onnx`);
  writeFileAtomicSync(file, bytes);
  const pointer: Pointer = { format: 1, source: sourceHash, version: DYNAMIC_QUANT_VERSION, int8: sha, quantized };
  writeFileAtomicSync(pointerFile!, `${JSON.stringify(pointer)}\n`);
  return { bytes, sha, file, quantized, reused: false };
}
