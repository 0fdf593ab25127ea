/**
 * Training precision: whether the compiled training step runs its convolutions and matmuls in bfloat16.
 * Loads no TensorFlow (the config and `doctor` read it before any backend exists).
 *
 * bf16 pays only where the CPU computes it natively: AMX (amx_bf16) or AVX512-BF16 (avx512_bf16). TensorFlow's
 * own check also passes on plain AVX-512, where bf16 is emulated and slower than fp32; on AVX2 it is emulated in
 * Eigen and an order of magnitude slower. So support is read from the CPU flags in /proc/cpuinfo.
 * `TINTEM_BF16=off` (or the config's `precision: fp32`) forces it off, e.g. to simulate a CPU without it.
 */
import { cpuFlags } from '../util/cpu.js';

export { cpuFlags };

export type Precision = 'fp32' | 'bf16';
export type PrecisionSetting = Precision | 'auto';

export interface Bf16Support { supported: boolean; reason: string }

/** Whether this CPU computes bf16 natively (and it is not switched off by TINTEM_BF16=off). */
export function bf16Support(flags: string[] = cpuFlags(), env: NodeJS.ProcessEnv = process.env): Bf16Support {
  if (/^(off|0|false|no)$/i.test(env.TINTEM_BF16 ?? '')) return { supported: false, reason: 'switched off by TINTEM_BF16' };
  const native = ['amx_bf16', 'avx512_bf16'].filter((f) => flags.includes(f));
  if (native.length) return { supported: true, reason: `CPU has ${native.join(', ')}` };
  if (!flags.length) return { supported: false, reason: 'the CPU flags are unknown (no /proc/cpuinfo)' };
  return { supported: false, reason: 'the CPU has neither amx_bf16 nor avx512_bf16 (bf16 would be emulated, slower than fp32)' };
}

export interface PrecisionContext {
  /** Steps run as a compiled graph (bf16 exists only there). */
  graph: boolean;
  /** TensorFlow's oneDNN kernels are on (bf16 without them runs in Eigen, far slower than fp32). */
  oneDnn: boolean;
  support?: Bf16Support;
}

/**
 * The precision a run trains in and why. 'auto' is bf16 only with native bf16, the graph path and oneDNN;
 * 'bf16' asked for explicitly runs bf16 on the graph path even without them (slow, for testing) and fp32
 * elsewhere; eager and non-native backends always train in fp32.
 */
export function resolvePrecision(setting: PrecisionSetting, ctx: PrecisionContext): { precision: Precision; reason: string } {
  if (setting === 'fp32') return { precision: 'fp32', reason: 'precision fp32 was asked for' };
  if (!ctx.graph) return { precision: 'fp32', reason: 'bf16 needs the graph training path' };
  const support = ctx.support ?? bf16Support();
  if (setting === 'bf16') {
    return { precision: 'bf16', reason: support.supported ? 'precision bf16 was asked for' : `precision bf16 was asked for, but ${support.reason}` };
  }
  if (!support.supported) return { precision: 'fp32', reason: support.reason };
  if (!ctx.oneDnn) return { precision: 'fp32', reason: "bf16 needs TensorFlow's oneDNN kernels (oneDnn is off)" };
  return { precision: 'bf16', reason: support.reason };
}

let fullPrecisionDepth = 0;

/**
 * Runs `fn` with the kernels it records kept in float32 even in a bf16 step: for the values a loss divides by a
 * temperature (cosine matrices), where bf16's 3 significant digits would be amplified. Only the forward kernels
 * run inside `fn` are covered; their gradients follow the step's precision.
 */
export function fullPrecision<T>(fn: () => T): T {
  fullPrecisionDepth += 1;
  try {
    return fn();
  } finally {
    fullPrecisionDepth -= 1;
  }
}

/** Whether a kernel running now is inside `fullPrecision`. */
export function inFullPrecision(): boolean {
  return fullPrecisionDepth > 0;
}
