/**
 * onnxruntime-node sessions for models held in memory (loaded on first use, so importing src/onnx costs nothing).
 * Used to check an export against its TF.js source, to calibrate int8 activation scales and to time models.
 */
import { UserError } from '../util/errors.js';

type Ort = typeof import('onnxruntime-node');
export type OrtSession = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

let ortPromise: Promise<Ort> | undefined;
export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node');
  return ortPromise;
}

export interface SessionOptions {
  /** Intra-op threads (default: onnxruntime's choice). */
  threads?: number;
  /** 'all' (default) or 'disabled' (no graph rewrites: a calibration pass must see every tensor as written). */
  optimization?: 'all' | 'disabled';
}

/** A session over ONNX bytes; a model onnxruntime refuses is a one-line UserError naming `label`. */
export async function createSession(bytes: Uint8Array, label: string, opts: SessionOptions = {}): Promise<OrtSession> {
  const ort = await loadOrt();
  try {
    return await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: opts.optimization ?? 'all',
      logSeverityLevel: 3,
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
    });
  } catch (e) {
    // onnxruntime prefixes a coloured log line; keep the first readable line, bounded.
    const line = String((e as Error).message).replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '').split('\n').find((l) => l.trim()) ?? 'unknown error';
    throw new UserError(`${label}: onnxruntime cannot load it (${line.slice(0, 200)})`);
  }
}

/** Runs a float32 NHWC (or any) batch through `session`; returns the requested outputs as flat arrays with dims. */
export async function runFloat(session: OrtSession, inputName: string, data: Float32Array, dims: number[], outputs: string[]): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const ort = await loadOrt();
  const feed = new ort.Tensor('float32', data, dims);
  const result = await session.run({ [inputName]: feed }, outputs);
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const name of outputs) {
    const t = result[name]!;
    out[name] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
    t.dispose?.();
  }
  feed.dispose?.();
  return out;
}
