/** Distillation methods by name (see registry.ts): TinTeM and the baselines it is compared with. */
export {
  createMethod, prepareMethod, registerMethod, unregisterMethod, methodEntries, methodNames, isMethodName, getMethodEntry,
  methodSettingsSchema, parseMethodSettings, DEFAULT_METHOD,
  type MethodContext, type MethodEntry, type MethodSettings, type CachedTeacherEmbeddings,
} from './registry.js';
export { LOSS_VERSION } from './defaults.js';
export { createTintem, prefitHead, pcaInitHead, type TintemMethod, type TintemWeights } from './tintem.js';
export { createProteus, type ProjectorMethod } from './proteus.js';
export { createCosine } from './cosine.js';
export { createRelational } from './relational.js';
export type { DistillMethod, LossTerms, TeacherFeatures } from './types.js';
