/** tintem library API. */
export { initBackend, backendInfo, tf } from './backend/index.js';
export type { BackendInfo, BackendName } from './backend/index.js';
export { UserError } from './util/errors.js';
export { Rng } from './util/random.js';
