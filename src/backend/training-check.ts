/**
 * Training needs gradient kernels the wasm backend lacks (Conv2DBackpropFilter and others), so a distill that
 * fell back to wasm would fail only after the whole cache fill. Refuse before any work instead, saying how to
 * get the native backend.
 */
import { UserError } from '../util/errors.js';
import { backendInfo } from './index.js';
import { nativeFixCommand } from '../util/native-fix.js';

export function assertBackendCanTrain(): void {
  const b = backendInfo();
  if (!b || b.name !== 'wasm') return;
  const why = b.fallbackReason ? `${b.fallbackReason}; ` : '';
  throw new UserError(`distill cannot train on the wasm backend (${why}wasm has no convolution gradient kernels): install the native backend with: ${nativeFixCommand()} ; or pass --backend cpu to train in pure JS (about 50x slower)`);
}
