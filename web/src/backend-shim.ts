/**
 * Browser stand-in for src/backend/index.ts (which loads the native Node backend). The build redirects every
 * import of that module here, so shared code (src/export, src/students/layers) runs unchanged in the page.
 * Backends: webgl -> wasm -> cpu, or the one named by the page's ?backend= parameter.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };

export type BackendName = 'webgl' | 'wasm' | 'cpu';
export const BACKENDS: BackendName[] = ['webgl', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** Why an earlier choice was skipped, when one was. */
  fallbackReason?: string;
}

let current: BackendInfo | undefined;

async function trySet(name: BackendName): Promise<string | undefined> {
  try {
    if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
    if (name === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // The .wasm files sit next to the page (copied by scripts/build-web.mjs); never a CDN.
      wasm.setWasmPaths(new URL('./', document.baseURI).href);
      // Threaded WASM would start workers from the bundled chunk, which cannot run as a worker script.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
    if (!(await tf.setBackend(name))) return `${name} failed to initialise`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return `${name}: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** Starts the requested backend ('auto' = first that works of webgl, wasm, cpu). */
export async function initBackend(requested = 'auto'): Promise<BackendInfo> {
  if (current) return current;
  const want = requested.toLowerCase();
  if (want !== 'auto' && !BACKENDS.includes(want as BackendName)) {
    throw new Error(`?backend=${requested}: expected one of auto, ${BACKENDS.join(', ')}`);
  }
  const order = want === 'auto' ? BACKENDS : [want as BackendName];
  const reasons: string[] = [];
  for (const name of order) {
    const err = await trySet(name);
    if (!err) return (current = { name, fallbackReason: reasons.length ? reasons.join('; ') : undefined });
    reasons.push(err);
  }
  throw new Error(`no TensorFlow.js backend could start (${reasons.join('; ')})`);
}

export function backendInfo(): BackendInfo | undefined {
  return current;
}
