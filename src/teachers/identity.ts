/**
 * A teacher's identity: the model (what the spec names: 'random:seed3:dim32', 'onnx:<hash16>:<output>',
 * 'mobilenet@nsfwjs-4.3.0:<cut>') and everything else that changes its output (token layout, input size,
 * preprocessing, token grid, precision). It is a typed object; written as one string, `model|tag|tag...`, it names
 * cache folders and keys and is recorded in run summaries. This module is the one place that writes and reads that
 * string, so it stays byte-for-byte what earlier releases wrote (test/teachers/identity.test.ts parses every id in
 * the committed fixtures back and formats it to the same bytes).
 */

/** How a model file's [B, N, D] token output is split (tokens.ts tokenLayoutTag); written after the model's outputs. */
export interface TokenLayoutIdentity {
  cls: string;
  registers: number;
  patchGrid: number | 'auto';
  layout: string;
}

export interface TeacherIdentity {
  /** The model part: everything before the first '|' (the output names of a model file included). */
  model: string;
  /** Model files with a non-default token layout. */
  tokens?: TokenLayoutIdentity;
  /** Side the teacher resizes its input to ('<n>px'). */
  inputSize?: number;
  /** Input normalisation as written ('m<mean>s<std>', e.g. 'm0.5,0.5,0.5s0.5,0.5,0.5'). */
  normalization?: string;
  /** Fraction of the shorter side kept by a centre crop ('crop<f>'); absent for squash. */
  crop?: number;
  /** Resize interpolation when not bilinear ('nearest'). */
  interpolation?: string;
  /** Side of the token grid the feature map is pooled to ('grid<n>'). */
  grid?: number;
  /** A quantised teacher: its precision and the first 16 hex digits of the rewritten model's hash ('int8:<hash16>'). */
  precision?: { precision: string; hash: string };
  /** Fidelity figures of a quantised teacher, as written ('fidelity:<min>/<mean>/<nn>@<images>'). */
  fidelity?: string;
  /**
   * Tags this module does not know (or knows, but in an order the typed fields would not reproduce), kept as
   * written after the typed ones so every id round-trips.
   */
  extras?: string[];
}

/** The id string of an identity: 'model|tokens|<n>px|norm|crop|interp|grid<n>|precision|fidelity|extras...'. */
export function formatTeacherId(identity: TeacherIdentity): string {
  const i = identity;
  const tags: Array<string | undefined> = [
    i.tokens && `cls=${i.tokens.cls}`, i.tokens && `reg${i.tokens.registers}`, i.tokens && `pg${i.tokens.patchGrid}`, i.tokens?.layout,
    i.inputSize !== undefined ? `${i.inputSize}px` : undefined,
    i.normalization,
    i.crop !== undefined ? `crop${i.crop}` : undefined,
    i.interpolation,
    i.grid !== undefined ? `grid${i.grid}` : undefined,
    i.precision && `${i.precision.precision}:${i.precision.hash}`,
    i.fidelity,
    ...(i.extras ?? []),
  ];
  return [i.model, ...tags.filter((t): t is string => t !== undefined)].join('|');
}

const INT = /^(0|[1-9]\d*)$/;
const NUM = /^(0|[1-9]\d*)(\.\d+)?(e-?\d+)?$/;

/** The typed fields of `tags` in the canonical order, or undefined when they do not read back byte for byte. */
function typedFields(tags: string[]): Omit<TeacherIdentity, 'model'> | undefined {
  const out: Omit<TeacherIdentity, 'model'> = {};
  let k = 0;
  const next = (test: (t: string) => boolean): string | undefined => (k < tags.length && test(tags[k]!) ? tags[k++] : undefined);
  if (tags[0]?.startsWith('cls=') && tags.length >= 4) {
    const [cls, reg, pg, layout] = tags as [string, string, string, string];
    if (/^reg\d+$/.test(reg) && /^pg(\d+|auto)$/.test(pg) && INT.test(reg.slice(3)) && layout !== '') {
      const g = pg.slice(2);
      out.tokens = { cls: cls.slice(4), registers: Number(reg.slice(3)), patchGrid: g === 'auto' ? 'auto' : Number(g), layout };
      k = 4;
    }
  }
  const px = next((t) => /^\d+px$/.test(t) && INT.test(t.slice(0, -2)));
  if (px !== undefined) out.inputSize = Number(px.slice(0, -2));
  const norm = next((t) => /^m[^|]*s[^|]*$/.test(t));
  if (norm !== undefined) out.normalization = norm;
  const crop = next((t) => t.startsWith('crop') && NUM.test(t.slice(4)));
  if (crop !== undefined) out.crop = Number(crop.slice(4));
  const interp = next((t) => t === 'nearest' || t === 'bilinear');
  if (interp !== undefined) out.interpolation = interp;
  const grid = next((t) => t.startsWith('grid') && INT.test(t.slice(4)));
  if (grid !== undefined) out.grid = Number(grid.slice(4));
  const precision = next((t) => /^(int8|bf16|fp16|fp32):[0-9a-f]+$/.test(t));
  if (precision !== undefined) {
    const [p, hash] = precision.split(':') as [string, string];
    out.precision = { precision: p, hash };
  }
  const fidelity = next((t) => t.startsWith('fidelity:'));
  if (fidelity !== undefined) out.fidelity = fidelity;
  if (k < tags.length) out.extras = tags.slice(k);
  return out;
}

/** Reads an id string back into its identity; formatTeacherId(parseTeacherId(id)) === id for every id. */
export function parseTeacherId(id: string): TeacherIdentity {
  const [model = '', ...tags] = id.split('|');
  const typed = typedFields(tags);
  const identity: TeacherIdentity = { model, ...typed };
  // A number written in a form String() does not give back (e.g. 'crop0.50') stays as written.
  return typed && formatTeacherId(identity) === id ? identity : tags.length > 0 ? { model, extras: tags } : { model };
}

/** The model part of a teacher id, for messages and file names ('random:seed3:dim32' of 'random:seed3:dim32|28px|unit'). */
export function teacherModel(id: string): string {
  return parseTeacherId(id).model;
}

/** A teacher's identity: the typed one it carries, else read from its id (teachers written before it had one). */
export function teacherIdentity(teacher: { readonly id: string; readonly identity?: TeacherIdentity }): TeacherIdentity {
  return teacher.identity ?? parseTeacherId(teacher.id);
}

/** `identity` with tags added after its last one (undefined ones left out), as read back from the longer id. */
export function extendTeacherIdentity(identity: TeacherIdentity, ...tags: Array<string | undefined>): TeacherIdentity {
  return parseTeacherId([formatTeacherId(identity), ...tags.filter((t): t is string => t !== undefined)].join('|'));
}
