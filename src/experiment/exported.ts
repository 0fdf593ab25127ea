/**
 * Exported students as they run after `tintem export`: one embedder per exported form, chosen by a small
 * registry keyed by form name (`tfjs`: the TF.js LayersModel through TF.js; `onnx` / `onnx-int8`: student.onnx /
 * student.int8.onnx through onnxruntime-node). Every form is opened through the export stage's one verifying open
 * (src/export/verify.ts openExport: tintem.json's seal, the SHA-256 of every file it lists, the ONNX files'
 * metadata against tintem.json) and built from the verified bytes; each feeds the model the export's own
 * preprocessing (src/export/preprocess.ts: resize to the student's size, grey/RGB conversion, NHWC float32 in [0, 1]).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { tf } from '../backend/index.js';
import type { ImageSet } from '../data/types.js';
import { embeddings, type Embeddings } from '../evaluation/index.js';
import { METADATA_FILE, type ExportForm as FormName, type TintemJson } from '../export/meta.js';
import { toStudentInput } from '../export/preprocess.js';
import { FORM_COMMAND, FORM_FILE, loadOnnxStudent, openExport, openTfjsStudent, type VerifiedExport } from '../export/verify.js';
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';

/** A student as exported, embedding image sets exactly as it runs after export. */
export interface Embedder {
  /** Form name ('tfjs', 'onnx', 'onnx-int8'). */
  readonly form: string;
  readonly dir: string;
  readonly meta: TintemJson;
  /** Pooled embeddings of every image of the set (resized and converted as the export does). */
  embed(set: ImageSet): Promise<Embeddings>;
  dispose(): void;
}

export interface ExportForm {
  name: FormName;
  /** The export folder's file this form runs. */
  file: string;
  summary: string;
  /** The command that writes this form, for the missing-form message. */
  made: string;
  /** Builds the embedder from an export verified by openExport. */
  open(exp: VerifiedExport): Promise<Embedder>;
}

const forms = new Map<string, ExportForm>();

export function registerExportForm(form: ExportForm): void {
  if (forms.has(form.name)) throw new Error(`export form '${form.name}' is already registered`);
  forms.set(form.name, form);
}

export function exportForms(): ExportForm[] {
  return [...forms.values()];
}

export function getExportForm(name: string): ExportForm {
  const form = forms.get(name);
  if (!form) throw new UserError(`--model: unknown form '${name}' (expected one of: ${[...forms.keys()].join(', ')})`);
  return form;
}

/**
 * '<export dir>[:form]' -> the verified export and the forms to score (no suffix: every form the export holds).
 * The folder is opened through openExport, so anything tampered with is refused here, before anything slow.
 */
export async function parseModelSpec(spec: string): Promise<{ dir: string; exp: VerifiedExport; forms: ExportForm[] }> {
  const colon = spec.lastIndexOf(':');
  const suffix = colon > 0 ? spec.slice(colon + 1) : '';
  const named = colon > 0 ? forms.get(suffix) : undefined;
  const dir = named ? spec.slice(0, colon) : spec;
  if (!existsSync(join(dir, METADATA_FILE))) {
    throw new UserError(`--model ${spec}: ${quoteName(dir)} is not a tintem export folder (no ${METADATA_FILE}); expected <export dir>[:${[...forms.keys()].join('|')}]`);
  }
  const exp = await openExport(dir);
  if (named) {
    if (!exp.forms.includes(named.name)) {
      throw new UserError(`--model ${spec}: the export ${quoteName(dir)} has no ${named.name} form (its ${METADATA_FILE} lists no ${named.file}; ${named.made} writes it)`);
    }
    return { dir, exp, forms: [named] };
  }
  const present = exportForms().filter((f) => exp.forms.includes(f.name));
  if (present.length === 0) throw new UserError(`--model ${spec}: the export holds none of ${exportForms().map((f) => f.file).join(', ')}`);
  return { dir, exp, forms: present };
}

/** Embeddings of a set, `batchSize` images at a time through the export's preprocessing and `run`. */
async function batches(set: ImageSet, meta: TintemJson, run: (x: tf.Tensor4D) => Promise<Float32Array>, batchSize = 128): Promise<Embeddings> {
  const per = set.height * set.width * set.channels;
  const out = new Float32Array(set.count * meta.embedDim);
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    const x = tf.tidy(() => toStudentInput(tf.tensor4d(set.pixels.subarray(start * per, (start + n) * per), [n, set.height, set.width, set.channels]), meta.inputSize, meta.channels));
    try {
      out.set(await run(x), start * meta.embedDim);
    } finally {
      x.dispose();
    }
  }
  return embeddings(out, meta.embedDim, `embeddings of ${set.name}`);
}

registerExportForm({
  name: 'tfjs', file: FORM_FILE.tfjs, made: FORM_COMMAND.tfjs,
  summary: 'the TF.js LayersModel (model.json + weights), run by TF.js',
  async open(exp) {
    const student = await openTfjsStudent(exp);
    return {
      form: 'tfjs', dir: exp.dir, meta: student.meta,
      embed: (set) => batches(set, student.meta, async (x) => {
        const y = student.model.predict(x);
        const pooled = (Array.isArray(y) ? y[0]! : y) as tf.Tensor;
        try { return (await pooled.data()) as Float32Array; } finally { tf.dispose(y); }
      }),
      dispose: () => student.dispose(),
    };
  },
});

for (const [name, summary] of [['onnx', 'student.onnx (float32), run by onnxruntime-node'], ['onnx-int8', 'student.int8.onnx (int8 weights), run by onnxruntime-node']] as const) {
  registerExportForm({
    name, summary, file: FORM_FILE[name], made: FORM_COMMAND[name],
    async open(exp) {
      const student = await loadOnnxStudent(exp, name);
      return {
        form: name, dir: exp.dir, meta: student.meta,
        embed: async (set) => embeddings(await student.embed(set), student.meta.embedDim, `embeddings of ${set.name}`),
        dispose: () => { void student.dispose(); },
      };
    },
  });
}

/** A run folder candidate's run id (run.json), or undefined. */
export type RunIdOf = (dir: string) => string | undefined;

/**
 * Where the fp32 student of an export is: the --run whose run id the export's tintem.json names, else a run folder
 * next to the export (the export folder's parent or its siblings) with that id, else the only --run given.
 */
export function findSourceRun(exportDir: string, meta: TintemJson, runDirs: string[], runIdOf: RunIdOf): string | undefined {
  const id = meta.runId;
  if (id !== undefined) {
    const given = runDirs.find((d) => runIdOf(d) === id);
    if (given) return given;
    const parent = dirname(resolve(exportDir));
    const candidates = [parent, ...safeList(parent).map((n) => join(parent, n)).filter((p) => p !== resolve(exportDir))];
    const near = candidates.find((d) => runIdOf(d) === id);
    if (near) return near;
  }
  return runDirs.length === 1 ? runDirs[0] : undefined;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => { try { return statSync(join(dir, n)).isDirectory(); } catch { return false; } });
  } catch {
    return [];
  }
}

/** The scorecard name of an exported form: '<run name> [<form>]' ('<export folder> [<form>]' when names clash). */
export function exportedName(runName: string, form: string, dir: string, taken: Set<string>): string {
  let name = `${runName} [${form}]`;
  if (taken.has(name)) name = `${runName}:${basename(resolve(dir))} [${form}]`;
  taken.add(name);
  return name;
}
