/** The distill config: schema, defaults, loading from YAML/JSON with command-line overrides. */
export {
  baseConfigSchema, augmentSchema, dataSchema, DEFAULT_CROP,
  type DistillConfig, type DistillConfigInput, type MethodConfig, type ConfigRegistries,
} from './schema.js';
export { DEFAULT_CACHE_DIR, DEFAULT_METHOD, DEFAULT_TEACHER, DEFAULT_TEACHER_GRID } from './defaults.js';
export { loadConfig, validateConfig, parseConfigText, parseSetting, setPath, configToYaml, type ConfigOverrides } from './load.js';
export { baseConfigRows, methodConfigRows, formatRows, type ConfigKeyRow } from './describe.js';
export { trainingOneDnn } from './resolve.js';
