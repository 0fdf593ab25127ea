/**
 * The page's ONNX runtime: an export's student.onnx (or student.int8.onnx) run by onnxruntime-web, on WebAssembly
 * or, where the browser offers it, WebGPU. onnxruntime-web is pinned to 1.30.0, the version whose
 * onnxruntime-common matches the onnxruntime-node that checked the file at export. Its .wasm files are copied
 * next to the page by scripts/build-web.mjs (never a CDN); each runtime's code loads only when chosen.
 * Preprocessing (resize, grey/RGB) is the TF.js student's own (src/export/preprocess.ts, tfjs CPU backend).
 */
import { tf } from './backend-shim.js';
import { sha256Hex } from '../../src/export/checksum.js';
import { METADATA_FILE, ONNX_FILE, ONNX_INT8_FILE, type TintemJson } from '../../src/export/meta.js';
import { readMetadata, type NameFile, type ReadFile } from '../../src/export/open.js';
import { toStudentInput } from '../../src/export/preprocess.js';

export type OnnxForm = 'onnx' | 'onnx-int8';
export type OnnxEp = 'wasm' | 'webgpu';

export interface OnnxStudent {
  meta: TintemJson;
  form: OnnxForm;
  /** The execution provider the session runs on. */
  ep: OnnxEp;
  /** Why WebGPU was not used, when it was asked for (or 'auto') and is not. */
  fallbackReason?: string;
  /** Pooled embedding of one image tensor (1 x H x W x C in [0, 1], any size). */
  embed(image: tf.Tensor4D): Promise<number[]>;
}

type Ort = typeof import('onnxruntime-web');

async function loadRuntime(ep: OnnxEp): Promise<Ort> {
  const ort = (ep === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm')) as unknown as Ort;
  // Only the .wasm binary's URL: the bundle carries its own JavaScript glue (a prefix would fetch a .mjs too).
  const binary = ep === 'webgpu' ? 'ort-wasm-simd-threaded.asyncify.wasm' : 'ort-wasm-simd-threaded.wasm';
  ort.env.wasm.wasmPaths = { wasm: new URL(binary, document.baseURI).href };
  // Threads need a cross-origin-isolated page and workers started from a script URL; one thread needs neither.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  return ort;
}

/** Opens an export's ONNX form: tintem.json's seal, the file's SHA-256, then an onnxruntime-web session. */
export async function openOnnxStudent(read: ReadFile, shown: NameFile, form: OnnxForm, wantEp: OnnxEp | 'auto'): Promise<OnnxStudent> {
  const meta = await readMetadata(read, shown);
  const file = form === 'onnx' ? ONNX_FILE : ONNX_INT8_FILE;
  const entry = meta.files[file];
  if (!entry) throw new Error(`${shown(METADATA_FILE)}: this export has no ${file} (re-export with --format onnx${form === 'onnx-int8' ? ' --quantize int8' : ''})`);
  const bytes = await read(file);
  if (bytes.length !== entry.bytes || (await sha256Hex(bytes)) !== entry.sha256) throw new Error(`${shown(file)}: SHA-256 mismatch with ${METADATA_FILE} (damaged or replaced); re-run 'tintem export'`);

  const hasGpu = typeof navigator !== 'undefined' && 'gpu' in navigator && !!(navigator as { gpu?: unknown }).gpu;
  const attempts: OnnxEp[] = wantEp === 'wasm' ? ['wasm'] : wantEp === 'webgpu' ? ['webgpu'] : hasGpu ? ['webgpu', 'wasm'] : ['wasm'];
  const reasons: string[] = wantEp !== 'wasm' && !hasGpu ? ['this browser offers no WebGPU'] : [];
  for (const ep of attempts) {
    try {
      const ort = await loadRuntime(ep);
      const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep], graphOptimizationLevel: 'all' });
      return {
        meta, form, ep, fallbackReason: reasons.length ? reasons.join('; ') : undefined,
        async embed(image: tf.Tensor4D): Promise<number[]> {
          const input = tf.tidy(() => toStudentInput(image, meta.inputSize, meta.channels));
          const data = (await input.data()) as Float32Array;
          input.dispose();
          const feed = new ort.Tensor('float32', data, [1, meta.inputSize, meta.inputSize, meta.channels]);
          const out = await session.run({ image: feed }, ['pooled']);
          const pooled = Array.from(out.pooled!.data as Float32Array);
          out.pooled!.dispose();
          return pooled;
        },
      };
    } catch (e) {
      reasons.push(`${ep}: ${(e as Error).message.split('\n')[0]!.slice(0, 200)}`);
    }
  }
  throw new Error(`onnxruntime-web could not run ${file} (${reasons.join('; ')})`);
}
