/** The `precision` key: how auto resolves (CPU flags, not TensorFlow's check), what a run records and keeps on resume. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.js';
import { bf16Support, cpuFlags, resolvePrecision } from '../../src/backend/precision.js';
import { loadDistillConfig } from '../../src/training/config.js';
import { runDistill } from '../../src/experiment/distill.js';
import { UserError } from '../../src/util/errors.js';

const cpuinfo = (flags: string) => `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: ${flags}\nbugs\t\t:\n\nprocessor\t: 1\nflags\t\t: ${flags}\n`;
const SPR = 'fpu sse2 avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile amx_int8';

test('bf16 support comes from the CPU flags: amx_bf16 or avx512_bf16, not plain AVX-512; TINTEM_BF16=off switches it off', () => {
  assert.deepEqual(cpuFlags(cpuinfo('fpu avx2 fma')), ['fpu', 'avx2', 'fma']);
  assert.equal(bf16Support(cpuFlags(cpuinfo(SPR)), {}).supported, true);
  assert.equal(bf16Support(cpuFlags(cpuinfo('avx2 avx512f avx512_bf16')), {}).supported, true);
  // TensorFlow's own check passes here, but bf16 is emulated: not supported.
  assert.equal(bf16Support(cpuFlags(cpuinfo('avx2 fma avx512f avx512bw avx512vl')), {}).supported, false);
  assert.equal(bf16Support(cpuFlags(cpuinfo('avx2 fma')), {}).supported, false);
  assert.equal(bf16Support([], {}).supported, false);
  const off = bf16Support(cpuFlags(cpuinfo(SPR)), { TINTEM_BF16: 'off' });
  assert.deepEqual(off, { supported: false, reason: 'switched off by TINTEM_BF16' });
});

test('precision auto is bf16 only with native bf16, the graph path and oneDNN; explicit bf16 needs the graph path; fp32 is fp32', () => {
  const yes = { supported: true, reason: 'CPU has amx_bf16' }, no = { supported: false, reason: 'no bf16' };
  assert.equal(resolvePrecision('auto', { graph: true, oneDnn: true, support: yes }).precision, 'bf16');
  assert.deepEqual(resolvePrecision('auto', { graph: true, oneDnn: true, support: no }), { precision: 'fp32', reason: 'no bf16' });
  assert.equal(resolvePrecision('auto', { graph: true, oneDnn: false, support: yes }).precision, 'fp32');
  assert.equal(resolvePrecision('auto', { graph: false, oneDnn: true, support: yes }).precision, 'fp32');
  assert.equal(resolvePrecision('bf16', { graph: true, oneDnn: false, support: no }).precision, 'bf16');
  assert.equal(resolvePrecision('bf16', { graph: false, oneDnn: true, support: yes }).precision, 'fp32');
  assert.equal(resolvePrecision('fp32', { graph: true, oneDnn: true, support: yes }).precision, 'fp32');
});

before(async () => { await initBackend('tensorflow'); });
const tmp = () => mkdtempSync(join(tmpdir(), 'tintem-precision-'));
const cacheDir = tmp();
const config = (runDir: string, set: string[]) => loadDistillConfig(undefined, {
  values: { teacher: 'random:1', 'data.train': 'noise:32', epochs: 1, batchSize: 16, runDir, cacheDir, progress: false, trainStep: 'graph' },
  set: ['student.embedDim=8', ...set],
});
const summary = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { training: { path: string; precision: string } };

test('a run records its precision; a resume keeps it (auto follows the checkpoint) and refuses another with one line', async () => {
  const done = tmp();
  await runDistill(await config(done, ['precision=bf16']));
  assert.deepEqual(summary(done).training, { ...summary(done).training, path: 'graph', precision: 'bf16' });
  // Stopped after its first step, so the resume has steps left to train.
  const runDir = tmp();
  const stop = new AbortController();
  const first = await runDistill(await config(runDir, ['precision=bf16']), { signal: stop.signal, onEvent: (e) => { if (e.type === 'step') stop.abort(); } });
  assert.equal(first.interrupted, true);
  await assert.rejects(runDistill(await config(runDir, ['precision=fp32']), { resume: true }),
    (e: unknown) => e instanceof UserError && /^precision fp32: .*trained in bf16 and a resume keeps it/.test(e.message) && !e.message.includes('\n'));
  const resumed = await runDistill(await config(runDir, []), { resume: true });
  assert.equal(resumed.interrupted, false);
  assert.equal(summary(runDir).training.precision, 'bf16');
});

test('TINTEM_BF16=off: precision auto trains in fp32 as before', async () => {
  const runDir = tmp();
  const saved = process.env.TINTEM_BF16;
  process.env.TINTEM_BF16 = 'off';
  try {
    await runDistill(await config(runDir, []));
  } finally {
    if (saved === undefined) delete process.env.TINTEM_BF16; else process.env.TINTEM_BF16 = saved;
  }
  assert.equal(summary(runDir).training.precision, 'fp32');
});

test('tintem doctor shows what precision auto gives here (TINTEM_BF16=off: fp32, with the reason)', () => {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'tintem.js'), 'doctor', '--json'], {
    env: { ...process.env, TINTEM_BF16: 'off', TF_CPP_MIN_LOG_LEVEL: '3' }, encoding: 'utf8', maxBuffer: 16 << 20,
  });
  const out = JSON.parse(r.stdout) as { precision: { auto: string; autoReason: string; bf16Cpu: boolean } };
  assert.deepEqual(out.precision, { bf16Cpu: false, bf16Reason: 'switched off by TINTEM_BF16', auto: 'fp32', autoReason: 'switched off by TINTEM_BF16' });
});
