/**
 * Manifests: one small JSON file per finished cache pass (one dataset, teacher, view, storage layout and shard
 * i/n), written last, atomically, under <teacher folder>/manifests/. It lists the shard files holding the pass's
 * entries, so `tintem cache verify` can name a shard file that was deleted, and tells which shards of a job array
 * finished. Its content depends only on the plan and the entry keys (never on values or timing), so a re-run, a
 * second machine or a merge writes the same bytes: concurrent writers cannot disagree.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { hashJson, sha256 } from '../util/hash.js';
import type { StorageLayout } from './key.js';
import type { ShardSpec } from './shard-plan.js';

export const MANIFEST_DIR = 'manifests';
export const MANIFEST_FORMAT = 1;

export interface ManifestPlan {
  teacherId: string;
  /** viewKey of the view ('identity' for none). */
  view: string;
  layout: StorageLayout;
  /** Images in the whole dataset and a hash of their checksums in order. */
  datasetCount: number;
  datasetHash: string;
  imagesPerFile: number;
  shardCount: number;
}

export interface Manifest {
  format: number;
  plan: ManifestPlan;
  /** Hash of the plan: manifests of one job array share it. */
  planId: string;
  shard: number;
  /** Entries this shard owns. */
  entries: number;
  /** Shard file names (in the teacher folder) holding them, sorted. */
  files: string[];
}

export function datasetHash(checksums: readonly string[]): string {
  return sha256(checksums.join(','));
}

export function planId(plan: ManifestPlan): string {
  return hashJson(plan).slice(0, 16);
}

export function manifestPath(teacherDir: string, plan: ManifestPlan, shard: ShardSpec): string {
  return join(teacherDir, MANIFEST_DIR, `${planId(plan)}-${shard.index}-of-${shard.count}.json`);
}

export function buildManifest(plan: ManifestPlan, shard: number, entries: number, files: Iterable<string>): Manifest {
  return { format: MANIFEST_FORMAT, plan, planId: planId(plan), shard, entries, files: [...new Set(files)].sort() };
}

/** Writes the manifest unless an identical one is there. Returns false (never throws) when `bestEffort` and writing fails. */
export async function writeManifest(path: string, manifest: Manifest, bestEffort: boolean): Promise<boolean> {
  const text = `${JSON.stringify(manifest, null, 1)}\n`;
  try {
    if (existsSync(path) && (await readFile(path, 'utf8')) === text) return true;
    await writeFileAtomic(path, text);
    return true;
  } catch (e) {
    if (bestEffort) return false;
    throw e;
  }
}

/** Manifests of a teacher folder; unreadable ones are returned as errors by file name. */
export async function readManifests(teacherDir: string): Promise<{ manifests: Array<Manifest & { file: string }>; unreadable: string[] }> {
  const dir = join(teacherDir, MANIFEST_DIR);
  if (!existsSync(dir)) return { manifests: [], unreadable: [] };
  const manifests: Array<Manifest & { file: string }> = [];
  const unreadable: string[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    try {
      const m = JSON.parse(await readFile(join(dir, name), 'utf8')) as Manifest;
      if (m.format !== MANIFEST_FORMAT || !Array.isArray(m.files) || typeof m.planId !== 'string') throw new Error('bad manifest');
      manifests.push({ ...m, file: name });
    } catch {
      unreadable.push(name);
    }
  }
  return { manifests, unreadable };
}
