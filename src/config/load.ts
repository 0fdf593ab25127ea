/**
 * Loads the distill config: a YAML or JSON file (optional), then command-line overrides (flags and
 * `--set key.path=value`), validated by the strict schema. Any problem is one UserError line naming the
 * source and key path, e.g. "config.yaml: method.weights.headGlobal: expected number, got string".
 */
import YAML from 'yaml';
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';
import { MiB, readFileChecked } from '../util/safe-read.js';
import { describeError, typeName } from '../util/zod-issue.js';
import { keysIn } from '../util/zod-keys.js';
import { baseConfigSchema, type ConfigRegistries, type DistillConfig, type MethodConfig, type TeacherOptionsSection } from './schema.js';

export interface ConfigOverrides {
  /** Values by dotted key path (what the CLI flags set), applied first. */
  values?: Record<string, unknown>;
  /** 'key.path=value' strings; the value is parsed as YAML (numbers, booleans, lists), applied last. */
  set?: string[];
}

const COMMAND_LINE = 'command line';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);

/** A config is a page of settings: caps that keep a stray 50 MB value out of config.yaml, checkpoints and summaries. */
export const CONFIG_LIMITS = { fileBytes: 1 * MiB, stringChars: 4096, arrayItems: 1024, objectKeys: 1024, depth: 16 } as const;

/** Throws a one-line UserError naming the first value over {@link CONFIG_LIMITS}. */
export function checkConfigBounds(value: unknown, source: string, path: string[] = []): void {
  const where = () => `${source}: ${path.join('.') || '(top level)'}`;
  if (path.length > CONFIG_LIMITS.depth) throw new UserError(`${where()}: nested deeper than ${CONFIG_LIMITS.depth} levels`);
  if (typeof value === 'string' && value.length > CONFIG_LIMITS.stringChars) {
    throw new UserError(`${where()}: a ${value.length}-character value is longer than the ${CONFIG_LIMITS.stringChars}-character limit`);
  }
  if (Array.isArray(value)) {
    if (value.length > CONFIG_LIMITS.arrayItems) throw new UserError(`${where()}: a list of ${value.length} items is longer than the ${CONFIG_LIMITS.arrayItems}-item limit`);
    value.forEach((v, i) => checkConfigBounds(v, source, [...path, String(i)]));
  } else if (isObj(value)) {
    const keys = Object.keys(value);
    if (keys.length > CONFIG_LIMITS.objectKeys) throw new UserError(`${where()}: ${keys.length} keys is more than the ${CONFIG_LIMITS.objectKeys}-key limit`);
    for (const k of keys) {
      if (k.length > 256) throw new UserError(`${where()}: a ${k.length}-character key name is too long`);
      checkConfigBounds(value[k], source, [...path, k]);
    }
  }
}

/**
 * Validates a raw config: the base schema, then the teacher spec and the chosen method's own schema from the
 * registries. Any problem is one UserError line naming `source` and the key path; nothing is loaded or read.
 */
export function validateConfig(input: unknown, source: string, registries: ConfigRegistries): DistillConfig {
  checkConfigBounds(input, source);
  const r = baseConfigSchema.safeParse(input);
  if (!r.success) throw new UserError(`${source}: ${describeError(r.error, { input, keysAt: keysIn(baseConfigSchema) })}`);
  let teacherOptions: TeacherOptionsSection | undefined;
  if (r.data.teacherOptions !== undefined) {
    const schema = registries.teacherOptionsSchema();
    const raw = r.data.teacherOptions;
    const t = schema.safeParse(raw);
    if (!t.success) throw new UserError(`${source}: ${describeError(t.error, { input: raw, keysAt: keysIn(schema), prefix: ['teacherOptions'] })}`);
    teacherOptions = t.data as TeacherOptionsSection;
  }
  const problem = registries.teacherProblem(r.data.teacher);
  if (problem) throw new UserError(`${source}: teacher: '${r.data.teacher}': ${problem}`);
  const studentProblem = registries.studentProblem?.(r.data.student);
  if (studentProblem) throw new UserError(`${source}: ${studentProblem}`);
  const name = r.data.method.name;
  const schema = registries.methodSchema(name);
  if (!schema) throw new UserError(`${source}: method.name: unknown method '${name}' (expected one of ${registries.methodNames().join(', ')})`);
  const section = { ...(isObj(input) && isObj(input.method) ? input.method : {}), name };
  const m = schema.safeParse(section);
  if (!m.success) throw new UserError(`${source}: ${describeError(m.error, { input: section, keysAt: keysIn(schema), prefix: ['method'] })}`);
  const { teacherOptions: _raw, ...rest } = r.data;
  return { ...rest, ...(teacherOptions !== undefined ? { teacherOptions } : {}), method: m.data as MethodConfig };
}

/** Parses config text (YAML, which includes JSON) into a plain object; `source` names the file in errors. */
export function parseConfigText(text: string, source: string): Obj {
  let value: unknown;
  try {
    value = source.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    const err = e as Error & { linePos?: Array<{ line: number; col: number }> };
    const line = err.linePos?.[0] ? `line ${err.linePos[0].line}: ` : '';
    const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new UserError(`${source}: not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${line}${message}`);
  }
  if (value === null || value === undefined) return {};
  if (!isObj(value)) throw new UserError(`${source}: expected a mapping of config keys at the top level, got ${typeName(value)}`);
  return value;
}

/** Sets `root[a][b]... = value` for a dotted path, creating objects on the way. */
export function setPath(root: Obj, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  if (keys.some((k) => !k)) throw new UserError(`${COMMAND_LINE}: '${dotted}': expected a dotted key path like method.weights.headGlobal`);
  let node = root;
  keys.slice(0, -1).forEach((k, i) => {
    if (node[k] === undefined) node[k] = {};
    if (!isObj(node[k])) throw new UserError(`${COMMAND_LINE}: ${keys.slice(0, i + 1).join('.')}: is a ${typeName(node[k])}, cannot set '${dotted}'`);
    node = node[k] as Obj;
  });
  node[keys.at(-1)!] = value;
}

/** Splits 'key.path=value' and parses the value as YAML (so 0.01 is a number, true a boolean, [1, 2] a list). */
export function parseSetting(setting: string): [string, unknown] {
  const eq = setting.indexOf('=');
  if (eq <= 0) throw new UserError(`--set '${setting}': expected key.path=value`);
  const key = setting.slice(0, eq).trim();
  const text = setting.slice(eq + 1);
  let value: unknown;
  try {
    value = text.trim() === '' ? '' : YAML.parse(text);
  } catch {
    value = text;
  }
  return [key, value];
}

/**
 * Resolves the config: defaults <- file (validated, errors name the file) <- overrides (errors name the
 * command line). Returns the fully defaulted config.
 */
export async function loadConfig(registries: ConfigRegistries, path?: string, overrides: ConfigOverrides = {}): Promise<DistillConfig> {
  const validate = (input: unknown, source: string) => validateConfig(input, source, registries);
  let raw: Obj = {};
  if (path) {
    // A regular file of bounded size: a FIFO or /dev/zero given as --config must not block or fill memory.
    const text = readFileChecked(path, { what: 'config file', maxBytes: CONFIG_LIMITS.fileBytes }).toString('utf8');
    raw = parseConfigText(text, quoteName(path));
    validate(raw, quoteName(path));
  }
  const merged = structuredClone(raw);
  const settings = [
    ...Object.entries(overrides.values ?? {}).filter(([, v]) => v !== undefined),
    ...(overrides.set ?? []).map(parseSetting),
  ];
  if (settings.length === 0) return validate(merged, path ? quoteName(path) : COMMAND_LINE);
  for (const [key, value] of settings) {
    // `student: resnet18` is `student: { preset: resnet18 }`, so flags and --set can add keys to it.
    if (typeof merged.student === 'string') merged.student = { preset: merged.student };
    setPath(merged, key, value);
  }
  return validate(merged, COMMAND_LINE);
}

/** The resolved config as YAML (for --dry-run and runDir/config.yaml). */
export function configToYaml(config: DistillConfig): string {
  return YAML.stringify(config);
}
