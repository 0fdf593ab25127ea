/**
 * Test-only: makes `@tensorflow/tfjs-node` fail to load, as on a machine where its native binding was never
 * built. Preloaded with NODE_OPTIONS="--import <abs path>/scripts/fault/no-native.mjs" (test/reliability).
 */
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === '@tensorflow/tfjs-node') throw new Error('The specified module could not be found: tfjs_binding.node (simulated by no-native.mjs)');
  return next(specifier, context);
}`));
