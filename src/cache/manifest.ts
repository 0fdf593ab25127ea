/**
 * Manifests: one small JSON file per finished cache pass (one dataset, teacher, view, storage layout and shard
 * i/n), written last, atomically, under <teacher folder>/manifests/. It lists the shard files holding the pass's
 * entries, so `tintem cache verify` can name a shard file that was deleted, and tells which shards of a job array
 * finished. Its content depends only on the plan and the entry keys (never on values or timing), so a re-run, a
 * second machine or a merge writes the same bytes: concurrent writers cannot disagree.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { hashJson, sha256 } from '../util/hash.js';
import { FileReadError, MiB, readTextCheckedAsync } from '../util/safe-read.js';
import type { StorageLayout } from './key.js';
import type { ShardSpec } from './shard-plan.js';

export const MANIFEST_DIR = 'manifests';
export const MANIFEST_FORMAT = 1;
/** The largest manifest read (it lists one 37-byte file name per shard file of a pass). */
export const MAX_MANIFEST_BYTES = 64 * MiB;
/** The most shards a job array may have (`--shard i/n`); a manifest claiming more is refused. */
export const MAX_SHARD_COUNT = 1_000_000;

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
    if (existsSync(path) && (await readTextCheckedAsync(path, { what: 'cache manifest', maxBytes: MAX_MANIFEST_BYTES }).catch(() => undefined)) === text) return true;
    await writeFileAtomic(path, text);
    return true;
  } catch (e) {
    if (bestEffort) return false;
    throw e;
  }
}

const isCount = (n: unknown, min: number, max: number): n is number => Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max;

/**
 * Why `m` (parsed from the file `name`) is not a manifest this tintem wrote, or undefined when it is: the format,
 * every field's type and range, the plan id (a hash of the plan: an edited plan does not match it) and the file
 * name (which the plan id, shard and count make).
 */
export function manifestProblem(m: unknown, name: string): string | undefined {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'not a JSON object';
  const r = m as Partial<Manifest>;
  if (r.format !== MANIFEST_FORMAT) return `format ${JSON.stringify(r.format)}, expected ${MANIFEST_FORMAT}`;
  const p = r.plan;
  if (p === null || typeof p !== 'object' || typeof p.teacherId !== 'string' || typeof p.view !== 'string' || typeof p.datasetHash !== 'string'
    || !isCount(p.datasetCount, 0, Number.MAX_SAFE_INTEGER) || !isCount(p.imagesPerFile, 1, Number.MAX_SAFE_INTEGER)
    || !isCount(p.shardCount, 1, MAX_SHARD_COUNT) || p.layout === null || typeof p.layout !== 'object') return `plan is malformed (shardCount must be 1..${MAX_SHARD_COUNT})`;
  if (typeof r.planId !== 'string' || r.planId !== planId(p)) return 'its plan id does not match its plan (edited)';
  if (!isCount(r.shard, 0, p.shardCount - 1)) return `shard ${JSON.stringify(r.shard)} is not in 0..${p.shardCount - 1}`;
  if (!isCount(r.entries, 0, Number.MAX_SAFE_INTEGER)) return 'entries is malformed';
  if (!Array.isArray(r.files) || r.files.some((f) => typeof f !== 'string' || !/^[0-9a-f]{32}\.ttc$/.test(f))) return 'files must be shard file names';
  const expect = `${r.planId}-${r.shard}-of-${p.shardCount}.json`;
  if (name !== expect) return `its content belongs in ${expect} (renamed or misplaced file)`;
  return undefined;
}

/** Reads and checks one manifest (regular file, capped; {@link manifestProblem}); throws an Error with the reason. */
export async function readManifest(path: string, name: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readTextCheckedAsync(path, { what: 'cache manifest', maxBytes: MAX_MANIFEST_BYTES });
  } catch (e) {
    if (e instanceof FileReadError) throw new Error(e.reason, { cause: e });
    throw e;
  }
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new Error('not valid JSON');
  }
  const problem = manifestProblem(m, name);
  if (problem) throw new Error(problem);
  return m as Manifest;
}

/** Manifests of a teacher folder; unreadable ones are returned by file name with the reason. */
export async function readManifests(teacherDir: string): Promise<{ manifests: Array<Manifest & { file: string }>; unreadable: Array<{ name: string; reason: string }> }> {
  const dir = join(teacherDir, MANIFEST_DIR);
  if (!existsSync(dir)) return { manifests: [], unreadable: [] };
  const manifests: Array<Manifest & { file: string }> = [];
  const unreadable: Array<{ name: string; reason: string }> = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    return { manifests, unreadable: [{ name: '.', reason: `not a readable folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }] };
  }
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    try {
      manifests.push({ ...(await readManifest(join(dir, name), name)), file: name });
    } catch (e) {
      unreadable.push({ name, reason: (e as Error).message });
    }
  }
  return { manifests, unreadable };
}
