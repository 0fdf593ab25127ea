/**
 * The student registry: one entry per student kind (tintem's `cnn` and `vit`, torchvision's `resnet` and
 * `mobilenetv3`), each in its own file under ./entries/ with its keys, help, presets by name, defaults, spec checks,
 * token grid and width; the builder (which needs TensorFlow) is looked up by kind in ./index.ts, or given with the
 * entry by a plug-in. Config validation, `--student` help and docs/config.md read the entries; nothing outside
 * src/students branches on a kind. Loads no TensorFlow.
 */
import type { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { createRegistry } from '../util/registry.js';
import { cnnStudent } from './entries/cnn.js';
import { mobilenetV3Student } from './entries/mobilenetv3.js';
import { resnetStudent } from './entries/resnet.js';
import { vitStudent } from './entries/vit.js';

/** Checks one key of a spec: `ok` or a one-line UserError saying what was expected. */
export type NeedFn = (key: string, ok: (v: unknown) => boolean, expected: string) => void;

/** A student spec as stored (config.yaml, summary.json, tintem.json): kind, shape and the kind's own keys. */
export type AnySpec = { kind: string; preset?: string; inputSize: number; channels: 1 | 3; embedDim: number } & Record<string, unknown>;

export interface StudentPreset {
  name: string;
  kind: string;
  /** One line for help texts and docs/config.md. */
  summary: string;
  /** The reference implementation whose trunk it reproduces (none for tintem's own). */
  reference?: string;
  /** Spec fields over the kind's defaults; `embedDim` follows the trunk's width unless given. */
  fields: Record<string, unknown>;
  /**
   * tintem's own students: the whole spec sized for the input (the fields are ignored, the spec carries no
   * `preset` key, so runs made before presets keep their fingerprint).
   */
  sized?(inputSize: number, channels: 1 | 3): AnySpec;
}

export interface StudentKindEntry<S extends AnySpec = AnySpec> {
  /** The spec's `kind`. */
  name: string;
  summary: string;
  /** The kind's own spec keys besides kind, preset, inputSize, channels and embedDim. */
  keys: readonly string[];
  /** What `--student-width` sets (absent: published widths, not settable). */
  widthKey?: string;
  presets: ReadonlyArray<Omit<StudentPreset, 'kind'>>;
  /** Checks the kind's own keys of a spec read from JSON/YAML (`need` for each; throw a UserError for the rest). */
  check(spec: Record<string, unknown>, need: NeedFn, what: string): void;
  tokenGrid(spec: S): number;
  /** Width of the last map / tokens before any projection to embedDim. */
  trunkWidth(spec: S): number;
  /** A plug-in's builder; the built-in kinds' builders are in ./index.ts (they load TensorFlow). */
  build?(spec: S, seed: number): tf.LayersModel;
}

export const COMMON_KEYS = ['kind', 'preset', 'inputSize', 'channels', 'embedDim'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- entries of any spec type live in one registry
export const studentKinds = createRegistry<StudentKindEntry<any>>('student kind');
export const studentPresets = createRegistry<StudentPreset>('student');

/** Registers a kind and its presets by name (one line per entry). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerStudentKind(entry: StudentKindEntry<any>): void {
  for (const p of entry.presets) if (studentPresets.has(p.name)) throw new Error(`register student: preset '${p.name}' is already registered`);
  studentKinds.register(entry);
  for (const p of entry.presets) studentPresets.register({ ...p, kind: entry.name });
}

export function unregisterStudentKind(name: string): void {
  const entry = studentKinds.find(name);
  if (!entry) return;
  for (const p of entry.presets) studentPresets.unregister(p.name);
  studentKinds.unregister(name);
}

registerStudentKind(cnnStudent);
registerStudentKind(vitStudent);
registerStudentKind(resnetStudent);
registerStudentKind(mobilenetV3Student);

export function studentPresetNames(): string[] {
  return studentPresets.names();
}

/** The preset of that name, or a one-line UserError listing them; `what` names the option or file. */
export function getStudentPreset(name: unknown, what = 'student'): StudentPreset {
  return studentPresets.get(name, what);
}

export function studentKeys(kind: string): string[] {
  return [...COMMON_KEYS, ...studentKinds.get(kind, 'student').keys];
}

/**
 * The keys of a partial spec (the config's `student:` block, merged over the defaults later), checked before any
 * data is loaded: a typo such as `stemWdth` is an error, not a silently ignored setting.
 */
export function checkStudentKeys(value: Record<string, unknown>, what = 'config student'): void {
  const preset = value.preset === undefined ? undefined : getStudentPreset(value.preset, `${what}.preset`);
  const kind = value.kind ?? preset?.kind ?? 'cnn';
  if (!studentKinds.has(kind)) throw new UserError(`${what}: 'kind' must be one of ${studentKinds.names().join(', ')} (got ${(JSON.stringify(kind) ?? 'nothing').slice(0, 60)})`);
  if (preset && preset.kind !== kind) throw new UserError(`${what}: preset '${preset.name}' is a ${preset.kind} student, not kind '${kind}'`);
  const known = studentKeys(kind);
  const unknown = Object.keys(value).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new UserError(`${what}.${JSON.stringify(unknown).slice(1, 80).replace(/"$/, '')}: unknown key for a ${kind} student (expected one of: ${known.join(', ')})`);
}

/** Why a config's student section is wrong (unknown preset, kind or key), or undefined; loads nothing. */
export function studentSectionProblem(section: Record<string, unknown>): string | undefined {
  try {
    checkStudentKeys(section, 'student');
    return undefined;
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
}

/** The config key `--student-width` sets for this section, or a UserError for a fixed-width published trunk. */
export function studentWidthKey(section: Record<string, unknown>): string {
  const preset = getStudentPreset(section.preset ?? section.kind ?? 'cnn', 'config student');
  const key = studentKinds.get(preset.kind, 'config student').widthKey;
  if (key === undefined) throw new UserError(`--student-width: ${preset.name} has its published widths; set --student-dim (student.embedDim) for a projection instead`);
  return key;
}

/** The presets as doc rows (name, kind, summary, reference) for help texts and docs/config.md. */
export function studentPresetRows(): Array<{ name: string; summary: string; reference: string }> {
  return studentPresets.entries().map((p) => ({ name: p.name, summary: p.summary, reference: p.reference ?? '' }));
}
