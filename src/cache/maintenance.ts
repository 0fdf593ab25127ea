/**
 * Whole-cache operations behind `tintem cache verify | stats | merge`: every shard file's checksum and content
 * address, the manifests' file lists and job-array completeness, key coverage for a dataset + teacher + views,
 * and merging caches filled in separate folders (copies are verified first, then written temp + rename).
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageSet } from '../data/types.js';
import { imageChecksum, type ViewSpec } from '../data/index.js';
import type { Teacher } from '../teachers/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { quoteName } from '../util/quote.js';
import { teacherCacheDir } from './embed.js';
import { EntryIndex, listShardFiles, readShardFile, SHARD_EXT } from './entry-index.js';
import { entryKeysOf, shardName } from './key.js';
import { MANIFEST_DIR, readManifests, type Manifest } from './manifest.js';
import { CorruptShardError, decodeShard, type ShardHeader } from './shard.js';
import { teacherModel } from '../teachers/identity.js';

const EMBEDDINGS = 'embeddings';

/** Teacher folders (names) of a cache; a folder without embeddings/ is not a tintem cache. */
async function teacherDirs(cacheDir: string, what: string): Promise<string[]> {
  const root = join(cacheDir, EMBEDDINGS);
  if (!existsSync(root)) {
    if (!existsSync(cacheDir)) throw new UserError(`${what} ${quoteName(cacheDir)}: no such folder`);
    throw new UserError(`${what} ${quoteName(cacheDir)}: not a tintem cache (no ${EMBEDDINGS}/ folder in it)`);
  }
  const listing = async (dir: string) => readdir(dir).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`${what} ${quoteName(dir)}: not a readable folder (${e.code ?? e.message})`);
  });
  const out: string[] = [];
  for (const name of (await listing(root)).sort()) if ((await stat(join(root, name)).catch(() => undefined))?.isDirectory()) out.push(name);
  // Each teacher folder must be listable too (a folder without read permission is named here, not as a stack trace).
  for (const name of out) await listing(join(root, name));
  return out;
}

/**
 * Reads and checks one shard file as `cache verify` does: regular file, capped by its header, checksum, header,
 * its name is the content address of its entries, and it holds the teacher its folder is named for.
 * Throws CorruptShardError with the reason.
 */
async function checkShardFile(dir: string, tdir: string, file: string): Promise<{ header: ShardHeader; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readShardFile(join(dir, file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CorruptShardError('removed while being read');
    throw e;
  }
  const { header: h } = decodeShard(bytes);
  const expectName = `${shardName(h.keys, { dtype: h.dtype, tokens: h.tokenCount > 0 })}${SHARD_EXT}`;
  if (expectName !== file) throw new CorruptShardError(`its entries belong in ${expectName} (renamed or misplaced file)`);
  if (!tdir.endsWith(`-${sha256(h.teacherId).slice(0, 12)}`)) throw new CorruptShardError(`it holds teacher ${h.teacherId}, not this folder's`);
  return { header: h, bytes };
}

const isTemp = (name: string) => name.startsWith('.') && name.endsWith('.tmp');

export interface CoverageRequest {
  teacher: Teacher;
  set: ImageSet;
  /** Views by id (0 = identity). */
  views: ViewSpec[];
  /** Token map wanted (as embedWithCache's `tokens`). */
  tokens: boolean;
  fp16: boolean;
}

export interface Coverage {
  teacherId: string;
  needed: number;
  present: number;
  /** Missing entries by view id (views with none missing are left out). */
  missingByView: Record<number, number>;
}

/** Which of the entries a dataset + teacher + views needs are in the cache (headers only; verify checks values). */
export async function cacheCoverage(cacheDir: string, req: CoverageRequest): Promise<Coverage> {
  const { teacher, set } = req;
  const tokenCount = req.tokens && teacher.tokenGrid ? teacher.tokenGrid ** 2 : 0;
  const checksums = Array.from({ length: set.count }, (_, i) => imageChecksum(set, i));
  const indices = checksums.map((_, i) => i);
  const byView = req.views.map((view) => entryKeysOf(checksums, indices, teacher, view));
  const index = await EntryIndex.scan(teacherCacheDir(cacheDir, teacher), { teacherId: teacher.id, dtype: req.fp16 ? 'float16' : 'float32', tokenCount }, new Set(byView.flat()));
  const missingByView: Record<number, number> = {};
  let present = 0;
  for (const [v, view] of req.views.entries()) {
    const keys = byView[v]!;
    const found = keys.filter((k) => index.has(k)).length;
    present += found;
    if (found < keys.length) missingByView[view.id] = keys.length - found;
  }
  return { teacherId: teacher.id, needed: set.count * req.views.length, present, missingByView };
}

export function formatCoverage(c: Coverage): string {
  const missing = Object.entries(c.missingByView).map(([v, n]) => `view ${v}: ${n}`).join(', ');
  return `${c.present}/${c.needed} entries for ${teacherModel(c.teacherId)}${missing ? ` (missing ${missing})` : ''}`;
}

/**
 * UserError naming what is missing unless the cache holds every entry `req` needs (headers only; cheap), for
 * `distill --cache-only`: the check runs before anything loads or trains.
 */
export async function requireCoverage(cacheDir: string, req: CoverageRequest): Promise<void> {
  const c = await cacheCoverage(cacheDir, req);
  if (c.present < c.needed) {
    throw new UserError(`${cacheDir}: --cache-only is set but the cache holds ${formatCoverage(c)}; fill it first with \`tintem distill --embed-only\` (one job per --shard i/n), or drop --cache-only to let distill compute them`);
  }
}

export interface VerifyReport {
  cacheDir: string;
  files: number;
  entries: number;
  bytes: number;
  /** Relative paths (embeddings/<teacher>/<file>) with the reason. */
  damaged: Array<{ file: string; reason: string }>;
  /** Shard files a manifest lists that are not there. */
  missing: Array<{ file: string; manifest: string }>;
  /** Job arrays (plans) with shards that wrote no manifest (not finished, or not run). */
  unfinished: Array<{ teacherDir: string; planId: string; view: string; shardCount: number; shards: number[] }>;
  manifests: number;
  /** 'embeddings/<teacher>/manifests/<file>: reason'. */
  badManifests: string[];
  /** Temp files left by killed writers (harmless; safe to delete). */
  tempFiles: number;
  coverage?: Coverage;
  ok: boolean;
}

/** Checks every shard file (checksum, header, content address), every manifest, and optionally coverage. */
export async function verifyCache(cacheDir: string, coverage?: CoverageRequest): Promise<VerifyReport> {
  const report: VerifyReport = {
    cacheDir, files: 0, entries: 0, bytes: 0, damaged: [], missing: [], unfinished: [], manifests: 0, badManifests: [], tempFiles: 0, ok: true,
  };
  for (const tdir of await teacherDirs(cacheDir, 'cache verify:')) {
    const dir = join(cacheDir, EMBEDDINGS, tdir);
    const rel = (name: string) => `${EMBEDDINGS}/${tdir}/${name}`;
    report.tempFiles += (await readdir(dir)).filter(isTemp).length;
    const present = new Set(await listShardFiles(dir));
    for (const file of present) {
      report.files++;
      try {
        const { header: h, bytes } = await checkShardFile(dir, tdir, file);
        report.bytes += bytes.length;
        report.entries += h.count;
      } catch (e) {
        if (!(e instanceof CorruptShardError)) throw e;
        report.damaged.push({ file: rel(file), reason: e.message });
      }
    }
    const { manifests, unreadable } = await readManifests(dir);
    report.manifests += manifests.length;
    report.badManifests.push(...unreadable.map((m) => `${rel(`${MANIFEST_DIR}/${m.name}`)}: ${m.reason}`));
    const plans = new Map<string, { view: string; count: number; done: Set<number> }>();
    for (const m of manifests) {
      for (const f of m.files) if (!present.has(f)) report.missing.push({ file: rel(f), manifest: rel(`${MANIFEST_DIR}/${m.file}`) });
      const p = plans.get(m.planId) ?? { view: m.plan.view, count: m.plan.shardCount, done: new Set<number>() };
      p.done.add(m.shard);
      plans.set(m.planId, p);
    }
    for (const [planId, p] of plans) {
      const shards = Array.from({ length: p.count }, (_, i) => i).filter((i) => !p.done.has(i));
      if (shards.length > 0) report.unfinished.push({ teacherDir: tdir, planId, view: p.view, shardCount: p.count, shards });
    }
  }
  if (coverage) report.coverage = await cacheCoverage(cacheDir, coverage);
  report.ok = report.damaged.length === 0 && report.missing.length === 0 && report.unfinished.length === 0
    && report.badManifests.length === 0 && (!report.coverage || report.coverage.present === report.coverage.needed);
  return report;
}

const listed = (items: string[], max = 4) => (items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`);

/** The one-line summary `tintem cache verify` prints. */
export function formatVerify(r: VerifyReport): string {
  const base = `${r.files} shard files, ${r.entries} entries, ${r.manifests} manifests`;
  const cov = r.coverage ? `; coverage ${formatCoverage(r.coverage)}` : '';
  if (r.ok) return `cache verify ${r.cacheDir}: OK: ${base}${cov}`;
  const problems: string[] = [];
  if (r.damaged.length) problems.push(`${r.damaged.length} damaged (${listed(r.damaged.map((d) => `${d.file}: ${d.reason}`))})`);
  if (r.missing.length) problems.push(`${r.missing.length} missing (${listed(r.missing.map((m) => `${m.file}, listed by ${m.manifest}`))})`);
  if (r.unfinished.length) {
    problems.push(`unfinished shards: ${listed(r.unfinished.map((u) => `${u.shards.map((s) => `${s}/${u.shardCount}`).join(' ')} of plan ${u.planId} (${u.view})`))}`);
  }
  if (r.badManifests.length) problems.push(`${r.badManifests.length} unreadable manifests (${listed(r.badManifests)})`);
  if (r.coverage && r.coverage.present < r.coverage.needed) problems.push(`incomplete coverage: ${formatCoverage(r.coverage)}`);
  // Never a bare "FAILED:": every way ok can be false is named above; this guards a future one.
  if (problems.length === 0) problems.push('unknown problem');
  return `cache verify ${r.cacheDir}: FAILED: ${problems.join('; ')}; ${base}`;
}

export interface TeacherStats {
  folder: string;
  teacherId: string;
  files: number;
  entries: number;
  uniqueEntries: number;
  bytes: number;
  dims: number[];
  tokenCounts: number[];
  dtypes: string[];
  manifests: number;
  plans: number;
  tempFiles: number;
  unreadable: number;
}

/** Sizes and layouts per teacher folder (headers only, so it is quick on a large cache). */
export async function cacheStats(cacheDir: string): Promise<TeacherStats[]> {
  const { readShardHeader } = await import('./entry-index.js');
  const out: TeacherStats[] = [];
  for (const tdir of await teacherDirs(cacheDir, 'cache stats:')) {
    const dir = join(cacheDir, EMBEDDINGS, tdir);
    const s: TeacherStats = {
      folder: `${EMBEDDINGS}/${tdir}`, teacherId: '', files: 0, entries: 0, uniqueEntries: 0, bytes: 0, dims: [], tokenCounts: [], dtypes: [],
      manifests: 0, plans: 0, tempFiles: (await readdir(dir)).filter(isTemp).length, unreadable: 0,
    };
    const keys = new Set<string>();
    const dims = new Set<number>(), tokens = new Set<number>(), dtypes = new Set<string>();
    for (const file of await listShardFiles(dir)) {
      s.files++;
      s.bytes += (await stat(join(dir, file)).catch(() => undefined))?.size ?? 0;
      try {
        const h = await readShardHeader(join(dir, file));
        s.teacherId ||= h.teacherId;
        s.entries += h.count;
        h.keys.forEach((k) => keys.add(k));
        dims.add(h.dim); tokens.add(h.tokenCount); dtypes.add(h.dtype);
      } catch {
        s.unreadable++;
      }
    }
    const { manifests } = await readManifests(dir);
    s.manifests = manifests.length;
    s.plans = new Set(manifests.map((m) => m.planId)).size;
    s.uniqueEntries = keys.size;
    s.dims = [...dims].sort((a, b) => a - b); s.tokenCounts = [...tokens].sort((a, b) => a - b); s.dtypes = [...dtypes].sort();
    out.push(s);
  }
  return out;
}

export interface MergeReport { copied: number; present: number; differing: number; manifests: number }

/** Every problem `cache verify` would name in the sources (damaged or misplaced shards, bad manifests, listed files that are absent). */
async function mergeProblems(sources: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const src of sources) {
    for (const tdir of await teacherDirs(src, 'cache merge:')) {
      const from = join(src, EMBEDDINGS, tdir);
      const present = new Set(await listShardFiles(from));
      for (const file of present) {
        try {
          await checkShardFile(from, tdir, file);
        } catch (e) {
          if (!(e instanceof CorruptShardError)) throw e;
          problems.push(`${quoteName(join(from, file))}: ${e.message}`);
        }
      }
      const { manifests, unreadable } = await readManifests(from);
      problems.push(...unreadable.map((m) => `${quoteName(join(from, MANIFEST_DIR, m.name))}: ${m.reason}`));
      for (const m of manifests) {
        for (const f of m.files) if (!present.has(f)) problems.push(`${quoteName(join(from, f))}: missing (listed by ${quoteName(join(from, MANIFEST_DIR, m.file))})`);
      }
    }
  }
  return problems;
}

/**
 * Copies every shard file and manifest of `sources` into `into`, after checking all of them as `cache verify`
 * does: any problem in any source refuses the merge (one line naming the files and why) before anything is copied.
 * Names are content addresses, so a file already there is the same entries: it is kept (a copy whose values
 * differ, e.g. computed on other hardware, is counted, not written); a damaged target file is replaced.
 */
export async function mergeCaches(sources: string[], into: string): Promise<MergeReport> {
  const problems = await mergeProblems(sources);
  if (problems.length > 0) {
    throw new UserError(`cache merge: nothing copied: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the sources (${listed(problems)}); delete or re-fill those files (\`tintem cache verify <dir>\` lists them), then merge again`);
  }
  const report: MergeReport = { copied: 0, present: 0, differing: 0, manifests: 0 };
  for (const src of sources) {
    for (const tdir of await teacherDirs(src, 'cache merge:')) {
      const from = join(src, EMBEDDINGS, tdir), to = join(into, EMBEDDINGS, tdir);
      for (const file of await listShardFiles(from)) {
        // Checked above; read again through the same checks (a source changed since is refused, not copied).
        const { bytes } = await checkShardFile(from, tdir, file).catch((e: unknown) => {
          throw e instanceof CorruptShardError ? new UserError(`cache merge: ${quoteName(join(from, file))}: ${e.message} (changed during the merge)`) : e;
        });
        const target = join(to, file);
        if (existsSync(target)) {
          let existing: Buffer | undefined;
          try { existing = await readShardFile(target); decodeShard(existing); } catch (e) {
            if (!(e instanceof CorruptShardError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
            existing = undefined;
          }
          if (existing) {
            report.present++;
            if (!existing.equals(bytes)) report.differing++;
            continue;
          }
        }
        await writeFileAtomic(target, bytes);
        report.copied++;
      }
      const { manifests } = await readManifests(from);
      for (const m of manifests) {
        const target = join(to, MANIFEST_DIR, m.file);
        if (existsSync(target)) continue;
        const manifest: Manifest & { file?: string } = { ...m };
        delete manifest.file;
        await writeFileAtomic(target, `${JSON.stringify(manifest, null, 1)}\n`);
        report.manifests++;
      }
    }
  }
  return report;
}
