/**
 * Interrupted distillation (issue 14): 20 trials, each a run stopped one to three times by kill -9, SIGTERM or
 * SIGHUP at a random point (a random training step, or a random moment of start-up / cache fill), then continued
 * as a user would (`--resume` when a checkpoint exists, else the same command again) until it finishes. Every
 * trial's final student and head weights and loss log must be bit-identical to one uninterrupted run.
 *
 *   node --import tsx bench/distill-interrupt.ts [--quick]     (3 trials with --quick)
 * Writes bench/results/distill-interrupt.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../src/training/checkpoint.js';
import { RUN_FILES } from '../src/training/run-folder.js';
import { sha256 } from '../src/util/hash.js';
import { Rng } from '../src/util/random.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const quick = process.argv.includes('--quick');
const TRIALS = quick ? 3 : 20;
const STEPS = 32; // 256 images / batch 32 x 4 epochs
const root = mkdtempSync(join(tmpdir(), 'tintem-interrupt-'));
const cacheDir = join(root, 'cache');
const SIGNALS = ['SIGKILL', 'SIGTERM', 'SIGHUP'] as const;
type Sig = (typeof SIGNALS)[number];

const args = (runDir: string) => [
  join(REPO, 'bin', 'tintem.js'), 'distill', '--teacher', 'random:1', '--data', 'mnist:train', '--limit', '256', '--epochs', '4',
  '--batch-size', '32', '--seed', '7', '--student-width', '16', '--set', 'student.embedDim=8', '--run-dir', runDir, '--cache-dir', cacheDir, '--no-progress',
];
const logLines = (runDir: string) => {
  const p = join(runDir, RUN_FILES.log);
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).length : 0;
};

interface Stop { signal: Sig; at: string; exit: string; logStepsAfter: number }

/** Runs one process; `stop` (if given) sends its signal when the log passes `afterStep` or after `afterMs`. */
function run(runDir: string, resume: boolean, stop?: { signal: Sig; afterStep?: number; afterMs?: number }): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [...args(runDir), ...(resume ? ['--resume'] : [])], {
      cwd: REPO, env: { ...process.env, TINTEM_FROM_SOURCE: '1', TF_CPP_MIN_LOG_LEVEL: '3', TINTEM_QUIET_BACKEND: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    let timer: NodeJS.Timeout | undefined;
    if (stop?.afterMs !== undefined) timer = setTimeout(() => child.kill(stop.signal), stop.afterMs);
    if (stop?.afterStep !== undefined) {
      let armed = false;
      timer = setInterval(() => {
        const n = logLines(runDir);
        if (n < stop.afterStep!) armed = true; // a resume first cuts the log back to its checkpoint
        if (armed && n >= stop.afterStep!) { clearInterval(timer); child.kill(stop.signal); }
      }, 10);
    }
    child.on('close', (code, signal) => { clearTimeout(timer); clearInterval(timer); ok({ code, signal, stderr }); });
  });
}

const files = [RUN_FILES.studentWeights, RUN_FILES.methodWeights, RUN_FILES.log];
const digest = (runDir: string) => Object.fromEntries(files.map((f) => [f, existsSync(join(runDir, f)) ? sha256(readFileSync(join(runDir, f))) : 'missing']));

const started = performance.now();
const refDir = join(root, 'reference');
const ref = await run(refDir, false);
if (ref.code !== 0) throw new Error(`reference run failed: ${ref.stderr}`);
const reference = digest(refDir);

/** Writes the results so far (after every trial, so an interrupted benchmark still reports what it ran). */
function writeResults(done: boolean): Record<string, unknown> & { identical: number; trials: number; stops: number; bySignal: Record<string, number> } {
  const bySignal = Object.fromEntries(SIGNALS.map((s) => [s, trials.flatMap((t) => t.stops).filter((x) => x.signal === s).length]));
  const result = {
    complete: done,
    figure: 'distill-interrupt',
    date: new Date().toISOString(),
    quick,
    settings: { images: 256, epochs: 4, batchSize: 32, steps: STEPS, teacher: 'random:1', machine: '2 cores shared with other sessions' },
    trials: trials.length,
    identical: trials.filter((t) => t.identical).length,
    stops: trials.reduce((n, t) => n + t.stops.length, 0),
    bySignal,
    processes: trials.reduce((n, t) => n + t.processes, 0),
    seconds: (performance.now() - started) / 1000,
    reference,
    runs: trials,
  };
  mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
  writeFileSync(join(REPO, 'bench', 'results', 'distill-interrupt.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

const trials: Array<{ trial: number; stops: Stop[]; processes: number; identical: boolean; seconds: number; lastError?: string }> = [];
for (let trial = 1; trial <= TRIALS; trial++) {
  const rng = new Rng(1000 + trial);
  const runDir = join(root, `trial-${trial}`);
  mkdirSync(runDir, { recursive: true });
  const t0 = performance.now();
  const stops: Stop[] = [];
  const count = 1 + Math.floor(rng.next() * 3);
  let processes = 0;
  let lastError: string | undefined;
  for (let i = 0; i <= count; i++) {
    const resume = existsSync(join(runDir, RUN_FILES.checkpoint));
    if (i === count) {
      const r = await run(runDir, resume);
      processes++;
      if (r.code !== 0) lastError = r.stderr.trim().split('\n').at(-1);
      break;
    }
    const signal = SIGNALS[Math.floor(rng.next() * SIGNALS.length)]!;
    // One stop in four lands at a random moment of start-up or cache fill; the others at a random step.
    const early = rng.next() < 0.25;
    // A step still ahead of the checkpoint the run will resume from.
    const from = resume ? (await loadCheckpoint(join(runDir, RUN_FILES.checkpoint))).step : 0;
    const stop = early ? { signal, afterMs: Math.floor(rng.next() * 4000) } : { signal, afterStep: from + 1 + Math.floor(rng.next() * Math.max(1, STEPS - from - 1)) };
    const r = await run(runDir, resume, stop);
    processes++;
    stops.push({
      signal, at: early ? `${stop.afterMs} ms` : `step ${stop.afterStep}`, exit: r.signal ?? String(r.code), logStepsAfter: logLines(runDir),
    });
    if (r.code === 0) break; // finished before the signal landed
  }
  const got = digest(runDir);
  const identical = files.every((f) => got[f] === reference[f]);
  trials.push({ trial, stops, processes, identical, seconds: (performance.now() - t0) / 1000, ...(lastError ? { lastError } : {}) });
  process.stderr.write(`trial ${trial}: ${stops.map((s) => `${s.signal}@${s.at}->${s.exit}`).join(', ')}: ${identical ? 'bit-identical' : 'DIFFERENT'}\n`);
  rmSync(runDir, { recursive: true, force: true });
  writeResults(false);
}
const result = writeResults(true);

rmSync(root, { recursive: true, force: true });
process.stdout.write(`distill-interrupt: ${result.identical}/${result.trials} trials bit-identical after ${result.stops} stops (${JSON.stringify(result.bySignal)})\n`);
if (result.identical !== result.trials) process.exit(1);
