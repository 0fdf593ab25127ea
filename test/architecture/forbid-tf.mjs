// Module hook for the layering test: any attempt to load TensorFlow.js fails loudly.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@tensorflow/')) throw new Error('refused to load ' + specifier + ' (from ' + context.parentURL + ')');
  return next(specifier, context);
}`));
