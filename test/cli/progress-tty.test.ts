/**
 * Progress bars on a terminal (issue 27, item 1). The CLI is bundled with esbuild and run with plain `node`, as the
 * built CLI (dist/, what `npx tintem` runs after `npm ci`) runs: under tsx something touches process.stderr before
 * the backend loads and hides the bug. Loading the native backend points fd 2 at /dev/null for a moment; a
 * process.stderr first built then is a file stream for the whole process, and no bar ever shows.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');
// Inside the checkout (.cache/ is git-ignored) so that the bundle's bare imports resolve to node_modules.
mkdirSync(join(repo, '.cache'), { recursive: true });
const dir = mkdtempSync(join(repo, '.cache', 'test-pty-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function bundle(): string {
  const out = join(dir, 'main.mjs');
  const r = spawnSync(join(repo, 'node_modules', '.bin', 'esbuild'), [
    join(repo, 'src', 'cli', 'main.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external',
    `--outfile=${out}`, '--log-level=warning',
  ], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `node <main> args...` under a pseudo-terminal (util-linux `script`); `redirect` is appended to the command. */
function underPty(main: string, args: string[], redirect = ''): { status: number | null; out: string } {
  const cmd = [process.execPath, main, ...args].map(quote).join(' ') + redirect;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', TINTEM_DEBUG: '' }, timeout: 120_000,
  });
  assert.ifError(r.error);
  return { status: r.status, out: r.stdout };
}

test('a terminal shows the teacher-pass and training progress bars; stderr to a file gets none', () => {
  const main = bundle();
  const args = (name: string) => ['distill', '--teacher', 'random:1', '--data', 'noise:32', '--epochs', '2', '--batch-size', '8',
    '--set', 'student.inputSize=16', '--cache-dir', join(dir, `cache-${name}`), '--run-dir', join(dir, `run-${name}`)];

  const tty = underPty(main, args('tty'));
  assert.equal(tty.status, 0, tty.out);
  assert.match(tty.out, /embed random:seed1:dim32 .*\d+% \| \d+\/32 \|.* img\/s \| ETA/, 'teacher pass bar');
  assert.match(tty.out, /epoch \d\/2 \|[=-]+\| \d+\/8 \|.* img\/s \| ETA/, 'training bar');

  const log = join(dir, 'stderr.log');
  const file = underPty(main, args('file'), ` 2>${quote(log)}`);
  assert.equal(file.status, 0, file.out);
  const stderr = readFileSync(log, 'utf8');
  assert.ok(!stderr.includes('ETA') && !stderr.includes(String.fromCharCode(27)), 'no bar or terminal codes in a log file');
  assert.match(stderr, /^epoch 2\/2 .* img\/s$/m, 'one line per epoch instead');
});
