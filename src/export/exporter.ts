/** Writes a student as a TF.js LayersModel (model.json + weights.bin) plus tintem.json, each file atomically. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { saveLayersModel } from '../training/save.js';
import { folderReader } from './load.js';
import {
  describeSchemaError, METADATA_FILE, MODEL_FILE, PREPROCESSING, STUDENT_FORMAT, STUDENT_FORMAT_VERSION,
  studentMetadataSchema, WEIGHTS_FILE, type StudentMetadata, type TintemJson,
} from './meta.js';
import { metadataSeal, readMetadata } from './open.js';

export interface ExportOptions {
  /** Keep the token-map output (default: export only the pooled embedding). */
  withTokens?: boolean;
}

/** tintem's version from package.json (same relative path from src/export and dist/export). */
export function tintemVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The model to save: the pooled output alone (a sub-model sharing weights) unless tokens are wanted. */
function exportedModel(model: tf.LayersModel, withTokens: boolean): tf.LayersModel {
  if (model.outputs.length === 1) return model;
  if (withTokens) return model.outputs.length === 2 ? model : tf.model({ inputs: model.inputs, outputs: model.outputs.slice(0, 2), name: model.name });
  return tf.model({ inputs: model.inputs, outputs: model.outputs[0]!, name: model.name });
}

function checkShapes(model: tf.LayersModel, meta: StudentMetadata, withTokens: boolean): void {
  const input = model.inputs[0]?.shape;
  const want = [null, meta.inputSize, meta.inputSize, meta.channels];
  if (JSON.stringify(input) !== JSON.stringify(want)) {
    throw new UserError(`export: model input shape ${JSON.stringify(input)} does not match metadata ${JSON.stringify(want)}`);
  }
  const pooled = model.outputs[0]?.shape;
  if (pooled?.length !== 2 || pooled[1] !== meta.embedDim) {
    throw new UserError(`export: model's first output ${JSON.stringify(pooled)} is not a pooled [null, ${meta.embedDim}] embedding`);
  }
  if (withTokens && model.outputs.length < 2) throw new UserError('export: --with-tokens needs a model with a tokens output');
}

/** Writes tintem.json (atomically) with its seal recomputed over every other field. */
export async function writeTintemJson(outDir: string, meta: TintemJson): Promise<TintemJson> {
  const sealed: TintemJson = { ...meta, formatVersion: STUDENT_FORMAT_VERSION, seal: undefined };
  sealed.seal = await metadataSeal(JSON.parse(JSON.stringify(sealed)) as TintemJson);
  await writeFileAtomic(join(outDir, METADATA_FILE), `${JSON.stringify(sealed, null, 2)}\n`);
  return sealed;
}

/** Reads an export's tintem.json for an update by the exporter (bounded; the seal is checked). */
export async function readExportMetadata(outDir: string): Promise<TintemJson> {
  const { read, shown } = folderReader(outDir);
  return readMetadata(read, shown);
}

/**
 * Adds files written after the model (ONNX forms, gallery.json) to tintem.json's checksums and merges `patch`
 * into it, so they are verified on load like the model files; tintem.json is resealed and rewritten atomically.
 */
export async function updateExportMetadata(outDir: string, added: Record<string, Uint8Array>, patch: Partial<TintemJson> = {}, removed: string[] = []): Promise<TintemJson> {
  const meta = await readExportMetadata(outDir);
  const files = { ...meta.files };
  for (const [name, bytes] of Object.entries(added)) files[name] = { sha256: sha256(bytes), bytes: bytes.length };
  for (const name of removed) {
    delete files[name];
    rmSync(join(outDir, name), { force: true });
  }
  return writeTintemJson(outDir, { ...meta, ...patch, files });
}

/** Saves `model` into `outDir` with metadata; writes tintem.json last so a half-written export never verifies. */
export async function exportStudent(model: tf.LayersModel, outDir: string, meta: StudentMetadata, opts: ExportOptions = {}): Promise<TintemJson> {
  const parsed = studentMetadataSchema.safeParse(meta);
  if (!parsed.success) throw new UserError(`export: invalid student metadata (${describeSchemaError(parsed.error)})`);
  const withTokens = opts.withTokens ?? false;
  checkShapes(model, parsed.data, withTokens);

  const files: TintemJson['files'] = {};
  const toSave = exportedModel(model, withTokens);
  const { modelJson: modelBytes, weights } = await saveLayersModel(toSave, outDir);
  files[MODEL_FILE] = { sha256: sha256(modelBytes), bytes: modelBytes.length };
  files[WEIGHTS_FILE] = { sha256: sha256(weights), bytes: weights.length };

  const full: TintemJson = {
    format: STUDENT_FORMAT,
    formatVersion: STUDENT_FORMAT_VERSION,
    tintemVersion: tintemVersion(),
    ...parsed.data,
    outputs: withTokens ? ['pooled', 'tokens'] : ['pooled'],
    preprocessing: { ...PREPROCESSING },
    files,
  };
  return writeTintemJson(outDir, full);
}

/**
 * Adds a file written after the model (gallery.json) to tintem.json's checksums, so it is verified on load like
 * the model files; tintem.json is rewritten atomically.
 */
export async function sealExportFile(outDir: string, name: string, bytes: Uint8Array): Promise<void> {
  await updateExportMetadata(outDir, { [name]: bytes });
}
