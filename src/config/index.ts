/** The distill config: schema, defaults, loading from YAML/JSON with command-line overrides. */
export {
  distillConfigSchema, augmentSchema, methodSchema, dataSchema, prefitSchema, DEFAULT_CROP,
  type DistillConfig, type DistillConfigInput,
} from './schema.js';
export { loadConfig, parseConfigText, parseSetting, setPath, formatIssue, configToYaml, type ConfigOverrides } from './load.js';
export { toTrainConfig, trainingFingerprint } from './resolve.js';
