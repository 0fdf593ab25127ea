/** Node side of loading exported students: files from a folder, verified, into a LoadedStudent. */
import { join, resolve } from 'node:path';
import { initBackend } from '../backend/index.js';
import type { ImageSet } from '../data/types.js';
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';
import { GiB, readFileChecked } from '../util/safe-read.js';
import { loadLayersModelFrom, openStudent, type LoadedStudent, type NameFile, type ReadFile } from './open.js';
// Registers the students' custom (ViT) layers before any model.json is deserialised.
import '../students/layers.js';

/** No file of a student folder may be larger (a weight file fits one Node buffer). */
export const MAX_STUDENT_FILE_BYTES = 2 * GiB;

/**
 * A ReadFile over a folder: regular files only, inside the folder after resolving symlinks, size-capped before
 * reading; missing files are one-line UserErrors.
 */
export function folderReader(dir: string): { read: ReadFile; shown: NameFile } {
  const root = resolve(dir);
  const shown: NameFile = (name) => quoteName(join(root, name));
  const read: ReadFile = async (name) => {
    try {
      return new Uint8Array(readFileChecked(join(root, name), { what: `file of the model folder ${quoteName(root)}`, maxBytes: MAX_STUDENT_FILE_BYTES, within: root }));
    } catch (e) {
      if (e instanceof UserError && / does not exist /.test(e.message)) throw new UserError(`${shown(name)}: file not found (expected a tintem student in ${quoteName(root)})`);
      throw e;
    }
  };
  return { read, shown };
}

/** Loads an export folder written by exportStudent(); every file is checked against its SHA-256. */
export async function loadStudent(dir: string): Promise<LoadedStudent> {
  await initBackend();
  const { read, shown } = folderReader(dir);
  return openStudent(read, shown);
}

/** Loads a plain TF.js layers model folder (model.json + weights), e.g. a training run's student/. */
export async function loadLayersModelDir(dir: string): Promise<import('../backend/index.js').tf.LayersModel> {
  await initBackend();
  const { read, shown } = folderReader(dir);
  return loadLayersModelFrom(read, shown);
}

/** Convenience for `tintem embed --model`: embeds a set with an exported student and frees it. */
export async function embedWithStudent(dir: string, set: ImageSet, opts: { batchSize?: number } = {}): Promise<{ embeddings: Float32Array; dim: number }> {
  const student = await loadStudent(dir);
  try {
    return { embeddings: await student.embed(set, opts), dim: student.meta.embedDim };
  } finally {
    student.dispose();
  }
}
