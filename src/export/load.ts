/** Node side of loading exported students: files from a folder, verified, into a LoadedStudent. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { initBackend } from '../backend/index.js';
import type { ImageSet } from '../data/types.js';
import { UserError } from '../util/errors.js';
import { loadLayersModelFrom, openStudent, type LoadedStudent, type NameFile, type ReadFile } from './open.js';
// Registers the students' custom (ViT) layers before any model.json is deserialised.
import '../students/layers.js';

/** A ReadFile over a folder, with missing files reported as one-line UserErrors. */
export function folderReader(dir: string): { read: ReadFile; shown: NameFile } {
  const root = resolve(dir);
  const shown: NameFile = (name) => join(root, name);
  const read: ReadFile = async (name) => {
    try {
      return new Uint8Array(await readFile(join(root, name)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new UserError(`${shown(name)}: file not found (expected an exported tintem student in ${root})`);
      throw new UserError(`${shown(name)}: cannot read (${code ?? (e as Error).message})`);
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
