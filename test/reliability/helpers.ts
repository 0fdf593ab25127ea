/** Shared helpers of the reliability suite (not a test file): run the real CLI in a child process, with faults. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(REPO, 'bin', 'tintem.js');
const INJECT = join(REPO, 'scripts', 'fault', 'inject.mjs');

// One scratch folder per test file, removed when the file passes (kept for a look when it fails).
const scratch = mkdtempSync(join(tmpdir(), 'tintem-rel-'));
process.on('exit', (code) => { if (code === 0) rmSync(scratch, { recursive: true, force: true }); });
export const tempDir = (label: string) => mkdtempSync(join(scratch, `${label}-`));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** TINTEM_FAULT spec for scripts/fault/inject.mjs, e.g. 'kill-before-rename:checkpoint.bin:2'. */
  fault?: string;
  /** Called once the child runs (e.g. to send it SIGINT later). */
  onSpawn?: (child: ChildProcess) => void;
  /** The child is killed and the test fails after this many seconds (a hang is a failure, not a stuck CI). */
  timeoutSeconds?: number;
  /** Extra NODE_OPTIONS for the child (e.g. a preload from scripts/fault/). */
  nodeOptions?: string;
}

/** Runs `node bin/tintem.js <args>` from the sources, as a user would, and collects its output and exit. */
export function tintem(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env, TINTEM_FROM_SOURCE: '1', TF_CPP_MIN_LOG_LEVEL: '3', TINTEM_DEBUG: '', FORCE_COLOR: '0',
  };
  delete env.TINTEM_FAULT;
  delete env.NODE_OPTIONS;
  if (opts.fault) {
    env.TINTEM_FAULT = opts.fault;
    env.NODE_OPTIONS = `--import ${INJECT}`;
  }
  if (opts.nodeOptions) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${opts.nodeOptions}`.trim();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const limit = (opts.timeoutSeconds ?? 120) * 1000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tintem ${args.join(' ')}: still running after ${limit / 1000} s (hang?)\n${stderr}`));
    }, limit);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolvePromise({ code, signal, stdout, stderr }); });
    opts.onSpawn?.(child);
  });
}

/**
 * The failure is one line 'tintem: error: ...' naming `path`, last on stderr, with no stack trace. With `only`,
 * it is all of stderr; otherwise earlier progress lines (e.g. the cache summary) may precede it.
 */
export function assertOneLineError(r: CliResult, path: string, pattern?: RegExp, only = false): void {
  assert.equal(r.code, 2, `expected exit 2 (user error), got ${r.code ?? r.signal}; stderr:\n${r.stderr}`);
  // TensorFlow's own start-up notes (absl, printed by the native library whatever TF_CPP_MIN_LOG_LEVEL says when
  // oneDNN is on, "...floating-point round-off errors...") are not tintem's output.
  const lines = r.stderr.split('\n').filter((l) => l.length > 0 && !/^(I\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+\.cc:\d+\]|WARNING: All log messages before absl::InitializeLog)/.test(l));
  const errors = lines.filter((l) => /error/i.test(l));
  assert.equal(errors.length, 1, `expected one error line, got ${errors.length}:\n${r.stderr}`);
  if (only) assert.equal(lines.length, 1, `expected stderr to be one line:\n${r.stderr}`);
  const line = lines.at(-1)!;
  assert.ok(line.startsWith('tintem: error: '), `last stderr line is not the error: ${line}`);
  assert.ok(line.includes(path), `error does not name ${path}: ${line}`);
  assert.doesNotMatch(r.stderr, /^\s+at |internal error/m, 'no stack trace');
  if (pattern) assert.match(line, pattern);
}

export function lineCount(path: string): number {
  if (!existsSync(path)) return 0;
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).length;
}

/** Resolves once `cond()` holds, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Flips one bit of a byte array in place (at a fraction of its length, so the damage lands in the payload). */
export function flipBit(bytes: Uint8Array, at = 0.6): Uint8Array {
  const i = Math.floor(bytes.length * at);
  bytes[i]! ^= 0x10;
  return bytes;
}
