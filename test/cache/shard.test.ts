/**
 * The sharded teacher pass through the real CLI: 3 shard processes at once into one cache (one SIGKILLed half-way
 * through writing a shard file, then re-run) hold exactly the entries of a single-process run, byte for byte;
 * `cache verify` names a deleted and a damaged shard file; `--shard auto` under SLURM embeds the second third of
 * the hash space; `distill --cache-only` refuses an incomplete cache and trains teacher-free on a full one.
 *
 * Entries are read back with the small reader below (the documented file layout), not with src/cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/index.js';
import { initBackend } from '../../src/backend/index.js';
import { embedWithCache } from '../../src/cache/index.js';
import { formatVerify, verifyCache } from '../../src/cache/maintenance.js';
import { parseShard } from '../../src/cache/shard-plan.js';
import { createTeacher } from '../../src/teachers/index.js';
import { UserError } from '../../src/util/errors.js';
import { assertOneLineError, flipBit, tempDir, tintem } from '../reliability/helpers.js';

const root = tempDir('shard');
const randomTeacher = async () => { await initBackend(); return createTeacher('random:1', { lazy: true }); };
const DATA = 'noise:48';
const base = (cacheDir: string) => ['embed', '--teacher', 'random:1', '--data', DATA, '--cache-dir', cacheDir, '--images-per-file', '4', '--batch-size', '1', '--no-progress'];
// Batch size 1: a convolution's last bits can depend on the batch it runs in, and byte equality is the claim here.

/** Every entry of a cache as key -> hex of its pooled and token bytes, parsed from the file layout directly. */
function entries(cacheDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const top = join(cacheDir, 'embeddings');
  for (const t of readdirSync(top)) {
    for (const f of readdirSync(join(top, t)).filter((n) => n.endsWith('.ttc') && !n.startsWith('.'))) {
      const buf = readFileSync(join(top, t, f));
      assert.equal(buf.toString('ascii', 0, 8), 'TTMCACHE');
      const body = buf.subarray(0, buf.length - 32);
      assert.ok(createHash('sha256').update(body).digest().equals(buf.subarray(buf.length - 32)), `${f}: checksum`);
      const hlen = buf.readUInt32LE(8);
      const h = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as { keys: string[]; dim: number; tokenCount: number; dtype: string };
      const per = h.dtype === 'float16' ? 2 : 4;
      const pooled = body.subarray(12 + hlen, 12 + hlen + h.keys.length * h.dim * per);
      const tokens = body.subarray(12 + hlen + pooled.length);
      const tokRow = h.tokenCount * h.dim * per;
      h.keys.forEach((k, r) => {
        const value = `${t}:${pooled.subarray(r * h.dim * per, (r + 1) * h.dim * per).toString('hex')}|${tokens.subarray(r * tokRow, (r + 1) * tokRow).toString('hex')}`;
        const seen = out.get(k);
        assert.ok(seen === undefined || seen === value, `key ${k} stored twice with different values`);
        out.set(k, value);
      });
    }
  }
  return out;
}

/** Dataset positions shard i of n owns, from the definition: the i-th n-th of the SHA-256 space of the pixels. */
async function expectedShard(i: number, n: number): Promise<number[]> {
  const set = await loadDataset(DATA);
  const per = set.height * set.width * set.channels;
  const out: number[] = [];
  for (let k = 0; k < set.count; k++) {
    const px = set.pixels.subarray(k * per, (k + 1) * per);
    const hex = createHash('sha256').update(`${set.height}x${set.width}x${set.channels}:`).update(new Uint8Array(px.buffer, px.byteOffset, px.byteLength)).digest('hex');
    const x = parseInt(hex.slice(0, 13), 16) / 2 ** 52;
    if (x >= i / n && x < (i + 1) / n) out.push(k);
  }
  return out;
}

const single = join(root, 'single');
const sharded = join(root, 'sharded');

test('3 concurrent shard processes (one SIGKILLed mid-way, then re-run) fill one cache with exactly the single-process entries', async () => {
  const one = await tintem(base(single));
  assert.equal(one.code, 0, one.stderr);
  // Kill the biggest shard: the one with the most shard files, so the kill lands half-way.
  const sizes = await Promise.all([0, 1, 2].map(async (i) => (await expectedShard(i, 3)).length));
  const victim = sizes.indexOf(Math.max(...sizes));
  assert.ok(sizes[victim]! >= 8, `shard ${victim} has ${sizes[victim]} images`);
  const runs = await Promise.all([0, 1, 2].map((i) => tintem([...base(sharded), '--shard', `${i}/3`],
    i === victim ? { fault: 'kill-mid-write:.tmp:2' } : {})));
  runs.forEach((r, i) => {
    if (i === victim) assert.equal(r.signal, 'SIGKILL', r.stderr);
    else assert.equal(r.code, 0, r.stderr);
  });
  const teacherDir = join(sharded, 'embeddings', readdirSync(join(sharded, 'embeddings'))[0]!);
  assert.ok(readdirSync(teacherDir).some((f) => f.endsWith('.tmp')), 'the kill left a torn temp file');
  assert.ok(entries(sharded).size < entries(single).size, 'the killed shard is incomplete');
  const killed = await verifyCache(sharded);
  assert.equal(killed.ok, false);
  assert.match(formatVerify(killed), new RegExp(`unfinished shards: ${victim}/3 of plan`));

  const again = await tintem([...base(sharded), '--shard', `${victim}/3`]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`embedded ${sizes[victim]} of 48 images \\(shard ${victim}/3\\).* 4 hits, ${sizes[victim]! - 4} misses`), 'resumed: the finished file is kept');

  const a = entries(single), b = entries(sharded);
  assert.equal(a.size, 48);
  assert.deepEqual([...b.entries()].sort(), [...a.entries()].sort());
  const ok = await tintem(['cache', 'verify', sharded, '--teacher', 'random:1', '--data', DATA]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /OK: \d+ shard files, 48 entries, 3 manifests; coverage 48\/48 entries/);
  // A single-process reader (in-process here) is served from the shards' files by key: all hits, nothing recomputed.
  const reader = await embedWithCache(await randomTeacher(), await loadDataset(DATA), { cacheDir: sharded, shardSize: 4, quiet: true, progress: false });
  assert.deepEqual([reader.hits, reader.misses], [48, 0]);
});

test('cache merge of per-shard folders equals the shared folder; cache verify names a deleted and a damaged shard file', async () => {
  const parts = [0, 1, 2].map((i) => join(root, `part${i}`));
  // The per-shard folders are filled in-process (same code path as `embed --shard`); merge and verify run as CLI.
  const [teacher, set] = [await randomTeacher(), await loadDataset(DATA)];
  for (const [index, dir] of parts.entries()) await embedWithCache(teacher, set, { cacheDir: dir, shardSize: 4, batchSize: 1, quiet: true, progress: false, shard: { index, count: 3 } });
  const merged = join(root, 'merged');
  const m = await tintem(['cache', 'merge', ...parts, '--into', merged]);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, /merged 3 cache\(s\) into .*: \d+ shard files copied, 0 already there, 3 manifests/);
  assert.deepEqual([...entries(merged).entries()].sort(), [...entries(single).entries()].sort());

  const tdir = readdirSync(join(merged, 'embeddings'))[0]!;
  const dir = join(merged, 'embeddings', tdir);
  const [deleted, damaged] = readdirSync(dir).filter((f) => f.endsWith('.ttc')).sort();
  rmSync(join(dir, deleted!));
  writeFileSync(join(dir, damaged!), flipBit(readFileSync(join(dir, damaged!))));
  const r = await tintem(['cache', 'verify', merged]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'a one-line report');
  assert.match(lines[0]!, /FAILED/);
  assert.ok(lines[0]!.includes(`embeddings/${tdir}/${deleted}, listed by`), `names the deleted file: ${lines[0]}`);
  assert.ok(lines[0]!.includes(`embeddings/${tdir}/${damaged}: checksum mismatch`), `names the damaged file: ${lines[0]}`);
});

test('--shard auto with SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=3 embeds exactly the second third', async () => {
  const out = join(root, 'second-third.json');
  const r = await tintemEnv([...base(join(root, 'slurm')), '--shard', 'auto', '--out', out], { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' });
  assert.equal(r.code, 0, r.stderr);
  const exported = JSON.parse(readFileSync(out, 'utf8')) as { indices: number[]; pooled: number[][]; shard: string };
  assert.equal(exported.shard, '1/3');
  assert.deepEqual(exported.indices, await expectedShard(1, 3));
  assert.equal(exported.pooled.length, exported.indices.length);
});

test('--shard parsing: i/n, SLURM arrays (with MIN/STEP), Indexed Jobs with a count, one-line errors otherwise', () => {
  assert.deepEqual(parseShard('2/5', {}), { index: 2, count: 5 });
  assert.deepEqual(parseShard('auto', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' }), { index: 1, count: 3 });
  assert.deepEqual(parseShard('auto', { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_STEP: '2' }), { index: 2, count: 3 });
  assert.deepEqual(parseShard('auto', { JOB_COMPLETION_INDEX: '3', TINTEM_SHARD_COUNT: '4' }), { index: 3, count: 4 });
  assert.deepEqual(parseShard('auto', { JOB_COMPLETION_INDEX: '0' }, '2'), { index: 0, count: 2 });
  // A re-submission of tasks 3 and 11 of a 16-task array, with the count pinned: task ids are shard indices.
  assert.deepEqual(parseShard('auto', { SLURM_ARRAY_TASK_ID: '11', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_TASK_MIN: '3', TINTEM_SHARD_COUNT: '16' }), { index: 11, count: 16 });
  for (const [value, env, re] of [
    ['3/3', {}, /shard index 3 is not below the shard count 3/],
    ['1of3', {}, /expected 'i\/n'/],
    ['auto', {}, /neither SLURM_ARRAY_TASK_ID .* nor JOB_COMPLETION_INDEX/],
    ['auto', { JOB_COMPLETION_INDEX: '1' }, /pass --shard-count <n> or set TINTEM_SHARD_COUNT/],
    ['auto', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '3' }, /not below the shard count 3/],
  ] as const) {
    assert.throws(() => parseShard(value, env), (e: Error) => e instanceof UserError && re.test(e.message), `${value} ${JSON.stringify(env)}`);
  }
});

test('distill --cache-only refuses a cache missing entries (one line), then trains teacher-free once --embed-only shards filled it', async () => {
  const cacheDir = join(root, 'distill-cache');
  const distill = (...extra: string[]) => tintem(['distill', '--teacher', 'random:1', '--data', DATA, '--views', '1', '--epochs', '1', '--batch-size', '16',
    '--student-width', '8', '--set', 'student.embedDim=8', '--cache-dir', cacheDir, '--no-progress', ...extra]);
  const first = await distill('--embed-only', '--shard', '0/2');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /filled .* shard 0\/2: \d+ images x 2 view\(s\)/);
  const refused = await distill('--cache-only', '--run-dir', join(root, 'run-refused'));
  assertOneLineError(refused, cacheDir, /--cache-only is set but the cache holds \d+\/96 entries .*missing view 0: \d+, view 1: \d+/);
  assert.ok(!existsSync(join(root, 'run-refused', 'checkpoint.bin')), 'nothing trained');
  assert.equal((await distill('--embed-only', '--shard', '1/2')).code, 0);
  const run = join(root, 'run');
  const trained = await distill('--cache-only', '--run-dir', run);
  assert.equal(trained.code, 0, trained.stderr);
  const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as { cache: { hits: number; misses: number } };
  assert.deepEqual({ hits: summary.cache.hits, misses: summary.cache.misses }, { hits: 96, misses: 0 });
});

/** tintem with extra environment variables (the helper passes process.env through). */
async function tintemEnv(args: string[], env: Record<string, string>) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await tintem(args);
  } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}
