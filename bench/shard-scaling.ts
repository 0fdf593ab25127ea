/**
 * Shard scaling: throughput of 1, 2 and 4 concurrent `tintem embed --shard i/P` processes filling one fresh cache
 * on this machine (the built-in mobilenet teacher on MNIST), so the scaling curve of the teacher pass is measured,
 * not assumed. Wall-clock images/s counts everything a job array pays (process start, model load, hashing, writes);
 * the forward rate is the sum of each process's own computed img/s. The process counts alternate order each repeat
 * and the table reports medians. This machine has 2 cores shared with other sessions: 4 processes oversubscribe it.
 *
 *   npx tsx bench/shard-scaling.ts           # 1024 images, 2 repeats
 *   npx tsx bench/shard-scaling.ts --quick   # smoke run: 128 images, 1 repeat
 *
 * Writes bench/results/shard-scaling.json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomicSync } from '../src/util/atomic.js';

const quick = process.argv.includes('--quick');
const sizes = quick ? { images: 128, repeats: 1 } : { images: 1024, repeats: 2 };
const TEACHER = 'mobilenet';
const PROCESSES = [1, 2, 4];
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repo, 'bin', 'tintem.js'), ...args], {
      env: { ...process.env, TINTEM_FROM_SOURCE: '1', TF_CPP_MIN_LOG_LEVEL: '3', TINTEM_QUIET_BACKEND: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** One measurement: P shard processes at once into a fresh cache; wall-clock and summed forward rates. */
async function measure(p: number): Promise<{ wallPerSecond: number; forwardPerSecond: number; seconds: number }> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'tintem-shard-bench-'));
  try {
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: p }, (_, i) => run([
      'embed', '--teacher', TEACHER, '--data', 'mnist:train', '--limit', String(sizes.images), '--cache-dir', cacheDir,
      '--shard', `${i}/${p}`, '--no-progress',
    ])));
    const seconds = (performance.now() - t0) / 1000;
    let forward = 0;
    for (const r of results) {
      if (r.code !== 0) throw new Error(`shard process failed (exit ${r.code}): ${r.stderr.split('\n').slice(-3).join(' | ')}`);
      const m = /, ([\d.]+) img\/s computed/.exec(r.stdout);
      if (!m) throw new Error(`no computed rate in: ${r.stdout}`);
      forward += Number(m[1]);
    }
    return { wallPerSecond: sizes.images / seconds, forwardPerSecond: forward, seconds };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const loadBefore = loadavg()[0];
const samples = new Map<number, Array<{ wallPerSecond: number; forwardPerSecond: number; seconds: number }>>();
for (let r = 0; r < sizes.repeats; r++) {
  for (const p of r % 2 === 0 ? PROCESSES : [...PROCESSES].reverse()) {
    const m = await measure(p);
    samples.set(p, [...(samples.get(p) ?? []), m]);
    process.stderr.write(`  ${p} process(es): ${m.wallPerSecond.toFixed(1)} img/s wall (${m.seconds.toFixed(1)} s), ${m.forwardPerSecond.toFixed(1)} img/s forward\n`);
  }
}
const one = median(samples.get(1)!.map((s) => s.wallPerSecond));
const rows = PROCESSES.map((p) => {
  const wall = median(samples.get(p)!.map((s) => s.wallPerSecond));
  return { processes: p, medianWallImagesPerSecond: wall, speedupVsOne: wall / one, medianForwardImagesPerSecond: median(samples.get(p)!.map((s) => s.forwardPerSecond)), samples: samples.get(p)! };
});
console.log(`\nshard scaling (${TEACHER}, ${sizes.images} MNIST images, ${sizes.repeats} repeats, ${cpus().length} cores, shared machine)`);
console.log(`${'processes'.padEnd(11)}${'wall img/s'.padStart(12)}${'vs 1'.padStart(8)}${'forward img/s'.padStart(15)}`);
for (const r of rows) console.log(`${String(r.processes).padEnd(11)}${r.medianWallImagesPerSecond.toFixed(1).padStart(12)}${`${r.speedupVsOne.toFixed(2)}x`.padStart(8)}${r.medianForwardImagesPerSecond.toFixed(1).padStart(15)}`);
const out = join(repo, 'bench', 'results', 'shard-scaling.json');
writeFileAtomicSync(out, `${JSON.stringify({ bench: 'shard-scaling', quick, date: new Date().toISOString(), teacher: TEACHER, cores: cpus().length, sharedMachine: true, loadAverage1m: { before: loadBefore, after: loadavg()[0] }, ...sizes, rows }, null, 2)}\n`);
console.log(`wrote ${out}`);
