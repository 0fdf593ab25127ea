/**
 * Students by name. `cnn` and `vit` are tintem's own small students, sized for the data (their defaults follow the
 * input size); the others follow published definitions exactly (torchvision resnet18 / resnet50 without `fc`,
 * torchvision mobilenet_v3_small / _large `.features`, timm VisionTransformer ViT-Ti and ViT-S with patch 16 or 14,
 * `num_classes=0`). Every preset works at any input size its layout allows (a ViT's position embeddings follow
 * its grid); its embedding width is the trunk's own unless `embedDim` asks for a projection.
 * Loads no TensorFlow: a preset is data, the builders live in ./cnn.ts, ./vit.ts, ./resnet.ts, ./mobilenetv3.ts.
 */
import { UserError } from '../util/errors.js';

export interface StudentPreset {
  name: string;
  kind: 'cnn' | 'vit' | 'resnet' | 'mobilenetv3';
  /** One line for help texts and docs/config.md. */
  summary: string;
  /** The reference implementation whose trunk it reproduces (none for tintem's own). */
  reference?: string;
  /** Spec fields over the kind's defaults; `embedDim` follows the trunk's width unless given. */
  fields: Record<string, unknown>;
}

const vit = (name: string, patchSize: number, width: number, numHeads: number): StudentPreset => ({
  name, kind: 'vit',
  summary: `ViT-${width === 192 ? 'Ti' : 'S'}/${patchSize}: patch ${patchSize}, width ${width}, 12 pre-norm blocks, ${numHeads} heads, CLS token`,
  reference: `timm VisionTransformer(patch_size=${patchSize}, embed_dim=${width}, depth=12, num_heads=${numHeads}, num_classes=0)`,
  fields: { patchSize, width, depth: 12, numHeads, mlpRatio: 4 },
});

export const STUDENT_PRESETS: readonly StudentPreset[] = [
  { name: 'cnn', kind: 'cnn', summary: "tintem's small ResNet-style CNN sized for the input (the default; ~81k parameters at 28 px)", fields: {} },
  { name: 'vit', kind: 'vit', summary: "tintem's small ViT sized for the input (patch 4 at 28 px; ViT-Ti width, 6 blocks at photo sizes)", fields: {} },
  { name: 'resnet18', kind: 'resnet', summary: 'ResNet-18 trunk (basic blocks 2-2-2-2, 512-d)', reference: 'torchvision resnet18 without fc', fields: { depth: 18 } },
  { name: 'resnet50', kind: 'resnet', summary: 'ResNet-50 trunk (bottlenecks 3-4-6-3, 2048-d)', reference: 'torchvision resnet50 without fc', fields: { depth: 50 } },
  { name: 'mobilenetv3-small', kind: 'mobilenetv3', summary: 'MobileNetV3-Small features (squeeze-excite, hard-swish; 576-d)', reference: 'torchvision mobilenet_v3_small().features', fields: { size: 'small' } },
  { name: 'mobilenetv3-large', kind: 'mobilenetv3', summary: 'MobileNetV3-Large features (squeeze-excite, hard-swish; 960-d)', reference: 'torchvision mobilenet_v3_large().features', fields: { size: 'large' } },
  vit('vit-ti16', 16, 192, 3),
  vit('vit-ti14', 14, 192, 3),
  vit('vit-s16', 16, 384, 6),
  vit('vit-s14', 14, 384, 6),
];

export function studentPresetNames(): string[] {
  return STUDENT_PRESETS.map((p) => p.name);
}

/** The preset of that name, or a one-line UserError listing them; `what` names the option or file. */
export function getStudentPreset(name: unknown, what = 'student'): StudentPreset {
  const found = STUDENT_PRESETS.find((p) => p.name === name);
  if (!found) throw new UserError(`${what}: unknown student '${String(name).slice(0, 60)}' (expected one of ${studentPresetNames().join(', ')})`);
  return found;
}

/** The keys each kind takes: anything else is a typo (or a 50 MB value that would be copied into every file). */
const KEYS: Record<StudentPreset['kind'], string[]> = {
  cnn: ['kind', 'preset', 'inputSize', 'channels', 'embedDim', 'stemWidth', 'stemStride', 'widthMultipliers', 'blocksPerStage'],
  vit: ['kind', 'preset', 'inputSize', 'channels', 'embedDim', 'patchSize', 'width', 'depth', 'numHeads', 'mlpRatio'],
  resnet: ['kind', 'preset', 'inputSize', 'channels', 'embedDim', 'depth'],
  mobilenetv3: ['kind', 'preset', 'inputSize', 'channels', 'embedDim', 'size'],
};
export const KINDS = Object.keys(KEYS) as Array<StudentPreset['kind']>;
export const isKind = (k: unknown): k is StudentPreset['kind'] => typeof k === 'string' && (KINDS as string[]).includes(k);

export function studentKeys(kind: StudentPreset['kind']): string[] {
  return KEYS[kind];
}

/**
 * The keys of a partial spec (the config's `student:` block, merged over the defaults later), checked before any
 * data is loaded: a typo such as `stemWdth` is an error, not a silently ignored setting.
 */
export function checkStudentKeys(value: Record<string, unknown>, what = 'config student'): void {
  const preset = value.preset === undefined ? undefined : getStudentPreset(value.preset, `${what}.preset`);
  const kind = value.kind ?? preset?.kind ?? 'cnn';
  if (!isKind(kind)) throw new UserError(`${what}: 'kind' must be one of ${KINDS.join(', ')} (got ${(JSON.stringify(kind) ?? 'nothing').slice(0, 60)})`);
  if (preset && preset.kind !== kind) throw new UserError(`${what}: preset '${preset.name}' is a ${preset.kind} student, not kind '${kind}'`);
  const known = KEYS[kind];
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
export function studentWidthKey(section: Record<string, unknown>): 'stemWidth' | 'width' {
  const preset = getStudentPreset(section.preset ?? section.kind ?? 'cnn', 'config student');
  if (preset.kind === 'cnn') return 'stemWidth';
  if (preset.kind === 'vit') return 'width';
  throw new UserError(`--student-width: ${preset.name} has its published widths; set --student-dim (student.embedDim) for a projection instead`);
}

