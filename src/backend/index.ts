/**
 * Chooses and initialises the TensorFlow.js backend once per process.
 * Order: native TensorFlow (tfjs-node) -> wasm -> pure-JS cpu. Falling back prints one clear warning,
 * because the fallbacks train about 50x slower (and wasm lacks conv weight-gradient kernels).
 * Override with TINTEM_BACKEND=tensorflow|wasm|cpu.
 */
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { UserError } from '../util/errors.js';
import { nativeFixCommand } from '../util/native-fix.js';

export { tf };

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  native: boolean;
  threads: number;
  tfjsVersion: string;
  /** Why the preferred backend was not used, when it was not. */
  fallbackReason?: string;
}

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

/**
 * Runs `load` with the process's native stderr (fd 2) pointed at /dev/null. libtensorflow logs through absl
 * before absl is initialised ("All log messages before absl::InitializeLog() ...", "oneDNN custom operations are
 * on ...") straight to fd 2, ignoring TF_CPP_MIN_LOG_LEVEL, so only an fd-level redirect silences it; koffi
 * (prebuilt FFI) gives us libc's dup/dup2. Without koffi or libc this is a no-op.
 */
async function withNativeStderrSilenced<T>(load: () => Promise<T>): Promise<T> {
  let fd: { dup: (fd: number) => number; dup2: (a: number, b: number) => number; open: (p: string, f: number) => number; close: (fd: number) => number } | undefined;
  try {
    if (process.platform !== 'linux') throw new Error('libc.so.6 only on Linux');
    const koffi = (await import('koffi')).default;
    const libc = koffi.load('libc.so.6');
    fd = {
      dup: libc.func('int dup(int)'), dup2: libc.func('int dup2(int, int)'),
      open: libc.func('int open(const char *, int)'), close: libc.func('int close(int)'),
    };
  } catch {
    return load();
  }
  // Node builds process.stderr/stdout lazily, by the type of fd 2/1 at first touch: built while fd 2 is /dev/null,
  // stderr would stay a file stream (isTTY undefined) for the whole process, and no progress bar would ever show.
  void process.stderr.isTTY;
  void process.stdout.isTTY;
  const saved = fd.dup(2);
  const devNull = fd.open('/dev/null', 1 /* O_WRONLY */);
  if (saved < 0 || devNull < 0 || fd.dup2(devNull, 2) < 0) {
    if (saved >= 0) fd.close(saved);
    if (devNull >= 0) fd.close(devNull);
    return load();
  }
  try {
    return await load();
  } finally {
    fd.dup2(saved, 2);
    fd.close(saved);
    fd.close(devNull);
  }
}

async function tryNative(oneDnn: boolean): Promise<string | undefined> {
  try {
    // TensorFlow's oneDNN kernels are 1.4-2x slower for these small convnets on 2 cores (bench/teacher-throughput)
    // but about 3x faster for the large matrix products of evaluation (kNN over 60k x 768). Commands choose; the
    // user's TF_ENABLE_ONEDNN_OPTS always wins. Must be set before libtensorflow loads.
    process.env.TF_ENABLE_ONEDNN_OPTS ??= oneDnn ? '1' : '0';
    // TensorFlow's own log lines are noise to a tintem user; TF_CPP_MIN_LOG_LEVEL=0 or TINTEM_DEBUG keeps them.
    const quiet = (process.env.TF_CPP_MIN_LOG_LEVEL ??= '2') !== '0' && !process.env.TINTEM_DEBUG;
    const load = async () => {
      await import('@tensorflow/tfjs-node');
      await tf.setBackend('tensorflow');
      await tf.ready();
      tf.tidy(() => { tf.square(tf.scalar(1)).dataSync(); }); // the first kernel run logs too
    };
    await (quiet ? withNativeStderrSilenced(load) : load());
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

async function tryWasm(threads: number): Promise<string | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) return 'wasm backend failed to initialise';
    await tf.ready();
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

async function select(requested: string | undefined, opts: BackendOptions): Promise<BackendInfo> {
  const threads = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const want = (requested ?? process.env.TINTEM_BACKEND ?? 'auto').toLowerCase();
  const valid = ['auto', 'native', 'tensorflow', 'wasm', 'cpu'];
  if (!valid.includes(want)) throw new UserError(`TINTEM_BACKEND/--backend: unknown backend '${want}' (expected one of ${valid.join(', ')})`);
  const info = (name: BackendName, fallbackReason?: string): BackendInfo => ({
    name, native: name === 'tensorflow', threads, tfjsVersion: tf.version_core, fallbackReason,
  });

  if (want === 'cpu') { await tf.setBackend('cpu'); return info('cpu'); }
  if (want === 'wasm') {
    const err = await tryWasm(threads);
    if (!err) return info('wasm');
    throw new UserError(`backend 'wasm' could not start: ${err}`);
  }
  const nativeErr = await tryNative(opts.oneDnn ?? false);
  if (!nativeErr) return info('tensorflow');
  if (want === 'native' || want === 'tensorflow') {
    throw new UserError(`native backend (@tensorflow/tfjs-node) could not load: ${nativeErr}. Install it with: ${nativeFixCommand()}`);
  }
  const wasmErr = await tryWasm(threads);
  const chosen: BackendName = wasmErr ? 'cpu' : 'wasm';
  if (chosen === 'cpu') await tf.setBackend('cpu');
  const reason = `native TensorFlow backend unavailable (${nativeErr})`;
  if (!process.env.TINTEM_QUIET_BACKEND) {
    process.stderr.write(`tintem: warning: ${reason}; using the ${chosen} backend, which is about 50x slower. Install the native backend with: ${nativeFixCommand()}\n`);
  }
  return info(chosen, reason);
}

export interface BackendOptions {
  /**
   * Native backend only: use TensorFlow's oneDNN kernels (faster matrix products for evaluation, slower small
   * convolutions for training). Default off. Only the first initialisation in a process decides.
   */
  oneDnn?: boolean;
}

/** Initialises the backend (idempotent; concurrent callers share one initialisation). */
export function initBackend(requested?: string, opts: BackendOptions = {}): Promise<BackendInfo> {
  if (current) return Promise.resolve(current);
  pending ??= select(requested, opts).then((b) => (current = b));
  return pending;
}

/** The backend chosen by {@link initBackend}, if it has run. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}
