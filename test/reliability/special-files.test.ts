/**
 * Round 3, class 2: every file tintem reads goes through one bounded, non-blocking, regular-file-only reader
 * (src/util/safe-read.ts). A named pipe and links to /dev/zero and /dev/urandom planted in a cache folder (as a
 * shard and as manifests) and in a run folder (as the checkpoint and the loss log) never block or read without
 * bound: `cache verify`, `cache stats`, `cache merge`, `embed` and `distill --resume` each end quickly, with one line
 * naming the file where it is an error. A SIGTERM to an `embed` filling a cache ends it within seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { assertOneLineError, tempDir, tintem, waitFor } from './helpers.js';

const root = tempDir('special');
const cache = join(root, 'cache');
const embed = (cacheDir: string, ...extra: string[]) => tintem(['embed', '--teacher', 'random:1', '--data', 'noise:8', '--cache-dir', cacheDir,
  '--images-per-file', '4', '--no-progress', ...extra], { timeoutSeconds: 60 });
const QUICK_MS = 30_000;

async function timed<T>(run: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const r = await run();
  assert.ok(Date.now() - t0 < QUICK_MS, `took ${Date.now() - t0} ms`);
  return r;
}

test('a FIFO and device links in a cache folder: verify, stats, merge and embed end at once, naming them', async () => {
  assert.equal((await embed(cache)).code, 0);
  const tdir = join(cache, 'embeddings', readdirSync(join(cache, 'embeddings'))[0]!);
  const fifo = join(tdir, `${'a'.repeat(32)}.ttc`);
  execFileSync('mkfifo', [fifo]);
  symlinkSync('/dev/zero', join(tdir, `${'b'.repeat(32)}.ttc`));
  execFileSync('mkfifo', [join(tdir, 'manifests', 'fifo.json')]);
  symlinkSync('/dev/urandom', join(tdir, 'manifests', 'random.json'));

  const v = await timed(() => tintem(['cache', 'verify', cache], { timeoutSeconds: 60 }));
  assert.equal(v.code, 1, v.stderr);
  const line = v.stdout.trim();
  assert.equal(line.split('\n').length, 1, line);
  assert.match(line, /aaaa+\.ttc: not a regular file \(a named pipe\)/);
  assert.match(line, /bbbb+\.ttc: not a regular file \(a device\)/);
  assert.match(line, /2 unreadable manifests \(.*fifo\.json: not a regular file \(a named pipe\).*random\.json: not a regular file \(a device\)/);

  const s = await timed(() => tintem(['cache', 'stats', cache], { timeoutSeconds: 60 }));
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /, 2 unreadable/);

  const into = join(root, 'merged');
  const m = await timed(() => tintem(['cache', 'merge', cache, '--into', into], { timeoutSeconds: 60 }));
  assertOneLineError(m, 'aaaa', /cache merge: nothing copied: 4 problems in the sources/, true);
  assert.ok(!existsSync(into), 'nothing copied');

  // embed reads around them (the good shards serve every entry) and finishes.
  const e = await timed(() => embed(cache));
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout + e.stderr, /8 hits, 0 misses/);
});

test('a FIFO as train.jsonl and a /dev/zero link as checkpoint.bin: distill --resume refuses at once, one line', async () => {
  const run = join(root, 'run');
  const args = ['distill', '--teacher', 'random:1', '--data', 'noise:32', '--epochs', '2', '--batch-size', '16', '--student-width', '8',
    '--set', 'student.embedDim=8', '--run-dir', run, '--cache-dir', join(root, 'cache2'), '--no-progress'];
  const killed = await tintem(args, { fault: 'kill-after-rename:checkpoint.bin:1' });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  const copy = (name: string) => { const dir = join(root, name); cpSync(run, dir, { recursive: true }); return dir; };
  const withArgs = (dir: string) => args.map((a) => (a === run ? dir : a));

  const fifoLog = copy('fifo-log');
  rmSync(join(fifoLog, 'train.jsonl'));
  execFileSync('mkfifo', [join(fifoLog, 'train.jsonl')]);
  const devCk = copy('dev-checkpoint');
  rmSync(join(devCk, 'checkpoint.bin'));
  symlinkSync('/dev/zero', join(devCk, 'checkpoint.bin'));

  const [a, b] = await Promise.all([fifoLog, devCk].map((dir) => timed(() => tintem([...withArgs(dir), '--resume'], { timeoutSeconds: 60 }))));
  assertOneLineError(a!, join(fifoLog, 'train.jsonl'), /not a regular file \(a named pipe\) \(training log\)/);
  assertOneLineError(b!, join(devCk, 'checkpoint.bin'), /not a regular file \(a device\) \(checkpoint\)/);
});

test('SIGTERM while embed fills a cache: the process ends within seconds (exit 143), its finished shards verify', async () => {
  const dir = join(root, 'signal');
  let child: ChildProcess | undefined;
  const run = tintem(['embed', '--teacher', 'random:1', '--data', 'noise:20000', '--cache-dir', dir, '--images-per-file', '256', '--no-progress'],
    { onSpawn: (c) => { child = c; }, timeoutSeconds: 120 });
  const shardsIn = () => (existsSync(join(dir, 'embeddings')) ? readdirSync(join(dir, 'embeddings')).flatMap((t) => readdirSync(join(dir, 'embeddings', t))).filter((n) => n.endsWith('.ttc') && !n.startsWith('.')).length : 0);
  await waitFor(() => shardsIn() > 0, 'a first shard', 90_000);
  const t0 = Date.now();
  child!.kill('SIGTERM');
  const r = await run;
  assert.ok(Date.now() - t0 < 5000, `ended ${Date.now() - t0} ms after SIGTERM`);
  assert.equal(r.code, 143, r.stderr);
  const v = await tintem(['cache', 'verify', dir]);
  assert.equal(v.code, 0, v.stdout);
});
