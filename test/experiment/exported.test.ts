/**
 * `tintem eval --model`: exported forms scored as they run after export. The fixture (test/fixtures/deploy-export,
 * made by scripts/fixtures/make-deploy-export.ts + make_deploy_onnx.py) is a tiny TF.js export plus student.onnx /
 * student.int8.onnx converted from its weights by Python's onnx and quantised by Python's onnxruntime, its
 * tintem.json sealed by that script; the goldens (deploy-golden.json) are Python onnxruntime's outputs on fixed images.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/backend/index.js';
import { configToYaml } from '../../src/config/load.js';
import type { ImageSet } from '../../src/data/types.js';
import { embeddings, type Embeddings } from '../../src/evaluation/index.js';
import { evaluateRuns } from '../../src/experiment/evaluate.js';
import { compareExported } from '../../src/experiment/exported-compare.js';
import { openExportedModels, resolveExportedModels } from '../../src/experiment/exported-cli.js';
import { findSourceRun, getExportForm, parseModelSpec } from '../../src/experiment/exported.js';
import { writeTintemJson } from '../../src/export/exporter.js';
import type { TintemJson } from '../../src/export/meta.js';
import { startServer } from '../../src/export/server.js';
import { openExport } from '../../src/export/verify.js';
import { buildReportData } from '../../src/experiment/report-data.js';
import { loadRun, teacherForRun } from '../../src/experiment/load-run.js';
import { createMethod } from '../../src/methods/index.js';
import { parseDistillConfig } from '../../src/training/config.js';
import { RUN_FILES, saveRunOutputs, startRunIdentity } from '../../src/training/run-folder.js';
import { UserError } from '../../src/util/errors.js';
import { randomImages } from '../export/fixtures.js';
import { tempDir } from '../reliability/helpers.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'deploy-export');
const GOLDEN = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'deploy-golden.json'), 'utf8')) as Record<string, number[][]>;

before(async () => { await initBackend(); });

/** The golden images: pixel (i, y, x) = ((7 i + 3 y + 5 x) mod 17) / 16. */
function goldenImages(): ImageSet {
  const pixels = new Float32Array(4 * 16 * 16);
  for (let i = 0; i < 4; i++) for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) pixels[(i * 16 + y) * 16 + x] = ((7 * i + 3 * y + 5 * x) % 17) / 16;
  return { name: 'golden', count: 4, height: 16, width: 16, channels: 1, pixels };
}

function assertClose(actual: Float32Array, expected: number[][], tol: number, what: string): void {
  const flat = expected.flat();
  assert.equal(actual.length, flat.length, what);
  flat.forEach((v, i) => assert.ok(Math.abs(actual[i]! - v) <= tol, `${what}[${i}]: ${actual[i]} vs ${v}`));
}

test('each form embeds the golden images as Python onnxruntime does (tfjs and onnx: the fp32 graph; onnx-int8: the int8 graph)', async () => {
  const set = goldenImages();
  for (const [form, golden, tol] of [['tfjs', 'onnx', 1e-5], ['onnx', 'onnx', 1e-6], ['onnx-int8', 'onnx-int8', 1e-6]] as const) {
    const e = await getExportForm(form).open(await openExport(FIXTURE));
    try {
      assertClose((await e.embed(set)).data, GOLDEN[golden]!, tol, form);
    } finally {
      e.dispose();
    }
  }
  // int8 is not fp32: the goldens differ, so the check above tells the two files apart.
  assert.ok(GOLDEN['onnx-int8']!.flat().some((v, i) => Math.abs(v - GOLDEN.onnx!.flat()[i]!) > 1e-4));
});

/** A copy of the fixture exported without --quantize int8: student.int8.onnx neither there nor listed (resealed). */
async function withoutInt8(): Promise<string> {
  const copy = tempDir('exported-fp32-only');
  cpSync(FIXTURE, copy, { recursive: true });
  rmSync(join(copy, 'student.int8.onnx'));
  const meta = JSON.parse(readFileSync(join(copy, 'tintem.json'), 'utf8')) as TintemJson;
  delete meta.files['student.int8.onnx'];
  delete meta.onnx!.int8;
  await writeTintemJson(copy, meta);
  return copy;
}

/** A copy of the fixture with one byte of `file` flipped (tintem.json: a field edited, as a hand would). */
function tampered(file: string): string {
  const copy = tempDir(`exported-tampered-${file}`);
  cpSync(FIXTURE, copy, { recursive: true });
  if (file === 'tintem.json') {
    writeFileSync(join(copy, file), readFileSync(join(copy, file), 'utf8').replace('"method": "tintem"', '"method": "proteus"'));
  } else {
    const bytes = readFileSync(join(copy, file));
    bytes[bytes.length - 5] ^= 1;
    writeFileSync(join(copy, file), bytes);
  }
  return copy;
}

const TAMPERED: Array<[string, RegExp]> = [
  ['student.onnx', /student\.onnx.*: SHA-256 mismatch with tintem\.json/],
  ['student.int8.onnx', /student\.int8\.onnx.*: SHA-256 mismatch with tintem\.json/],
  ['model.json', /model\.json.*: SHA-256 mismatch with tintem\.json/],
  ['weights.bin', /weights\.bin.*: SHA-256 mismatch with tintem\.json/],
  ['tintem.json', /tintem\.json.*: seal mismatch, the file was edited or damaged after export/],
];

const oneLine = (re: RegExp) => (e: unknown) => e instanceof UserError && !e.message.includes('\n') && re.test(e.message);

test('--model specs: every form the export holds, one named form, a form it lacks is one line', async () => {
  assert.deepEqual((await parseModelSpec(FIXTURE)).forms.map((f) => f.name), ['tfjs', 'onnx', 'onnx-int8']);
  assert.deepEqual((await parseModelSpec(`${FIXTURE}:onnx-int8`)).forms.map((f) => f.name), ['onnx-int8']);
  const copy = await withoutInt8();
  assert.deepEqual((await parseModelSpec(copy)).forms.map((f) => f.name), ['tfjs', 'onnx']);
  await assert.rejects(parseModelSpec(`${copy}:onnx-int8`), oneLine(/has no onnx-int8 form \(its tintem\.json lists no student\.int8\.onnx; tintem export --format onnx --quantize int8 writes it\)/));
  await assert.rejects(parseModelSpec(join(copy, 'nothing')), /is not a tintem export folder/);
  // A file tintem.json lists but that is gone is damage, not a missing form.
  const gone = tempDir('exported-gone');
  cpSync(FIXTURE, gone, { recursive: true });
  rmSync(join(gone, 'student.int8.onnx'));
  await assert.rejects(parseModelSpec(gone), oneLine(/student\.int8\.onnx.*: listed in tintem\.json but missing; re-run 'tintem export'/));
});

test('a tampered student.onnx, student.int8.onnx, model.json, weights.bin or tintem.json is refused by eval --model and serve, in one line', async () => {
  const web = tempDir('exported-web');
  writeFileSync(join(web, 'index.html'), '<!doctype html>');
  for (const [file, re] of TAMPERED) {
    const copy = tampered(file);
    // eval --model: with or without a form suffix, whichever form is asked for (every listed file is verified).
    await assert.rejects(parseModelSpec(copy), oneLine(re), `eval --model, ${file}`);
    await assert.rejects(parseModelSpec(`${copy}:tfjs`), oneLine(re), `eval --model :tfjs, ${file}`);
    await assert.rejects(startServer({ modelDir: copy, webDir: web, port: 0 }), oneLine(re), `serve, ${file}`);
  }
});

/** Embeddings of n rows from explicit vectors. */
const emb = (rows: number[][]): Embeddings => embeddings(Float32Array.from(rows.flat()), rows[0]!.length);

test('compareExported: paired differences against the fp32 student, by hand', () => {
  // Bank: class 0 near e1, class 1 near e2. The fp32 student puts all 20 queries by their class (accuracy 1);
  // the exported form puts 10 of the 40 queries (class 0) near e2 (accuracy 0.75): difference -0.25 exactly.
  const bank = emb(Array.from({ length: 10 }, (_, i) => (i < 5 ? [1, 0.01 * i] : [0.01 * i, 1])));
  const trainLabels = Int32Array.from({ length: 10 }, (_, i) => (i < 5 ? 0 : 1));
  const testLabels = Int32Array.from({ length: 40 }, (_, i) => (i < 20 ? 0 : 1));
  const good = emb(Array.from({ length: 40 }, (_, i) => (i < 20 ? [1, 0.001 * i] : [0.001 * i, 1])));
  const bad = emb(Array.from({ length: 40 }, (_, i) => (i < 10 ? [0.001 * i, 1] : i < 20 ? [1, 0.001 * i] : [0.001 * i, 1])));
  const settings = { knnK: 3, knnTemperature: 0.07, oodK: 2, similarityMaxPoints: 2000, bootstrapResamples: 200, ciLevel: 0.95, normalizeForCka: true } as Parameters<typeof compareExported>[0]['settings'];
  const [same, worse] = compareExported({
    teacher: { train: bank, test: good }, students: { fp32: { train: bank, test: good }, copy: { train: bank, test: good }, int8: { train: bank, test: bad } },
    ood: {}, labels: { train: trainLabels, test: testLabels }, settings, seed: 1,
    entries: [{ model: 'copy', form: 'onnx', exportDir: '-', reference: 'fp32' }, { model: 'int8', form: 'onnx-int8', exportDir: '-', reference: 'fp32' }],
  });
  for (const f of same!.figures) {
    assert.equal(f.difference.estimate, 0, f.label);
    assert.equal(f.outcome, 'same', f.label);
  }
  const acc = worse!.figures.find((f) => f.label === 'kNN accuracy')!;
  assert.equal(acc.value, 0.75);
  assert.equal(acc.reference, 1);
  assert.equal(acc.difference.estimate, -0.25);
  assert.ok(acc.difference.upper < 0 && acc.difference.lower >= -1);
  assert.equal(acc.outcome, 'worse');
  const agreement = worse!.figures.find((f) => f.label === 'kNN agreement with the teacher')!;
  assert.equal(agreement.difference.estimate, -0.25);
});

test('eval --model: the three forms are scored like students and compared with the fp32 run they came from', { timeout: 600_000 }, async () => {
  // A run folder whose student is the fixture's model (the export came from it).
  const runDir = tempDir('exported-run');
  const model = await tf.loadLayersModel(`file://${join(FIXTURE, 'model.json')}`);
  const config = parseDistillConfig({ teacher: 'random:3', data: { train: 'noise:60' }, student: { inputSize: 16, channels: 1 }, method: { name: 'proteus' }, runDir });
  const runId = await startRunIdentity(runDir);
  writeFileSync(join(runDir, RUN_FILES.config), configToYaml(config));
  writeFileSync(join(runDir, RUN_FILES.log), `${JSON.stringify({ epoch: 1, step: 1, lr: 0.001, loss: 1, terms: { a: 1 } })}\n`);
  const method = await createMethod({ name: 'proteus' }, { teacherDim: 32, studentDim: 6, teacherTokens: false, seed: 0 });
  const meta = JSON.parse(readFileSync(join(FIXTURE, 'tintem.json'), 'utf8')) as { student: Record<string, unknown>; teacher: { id: string } };
  await saveRunOutputs(runDir, runId, model, method, {
    teacher: { id: meta.teacher.id, spec: 'random:3', embedDim: 32, tokenCount: 0 },
    method: { name: 'proteus', weights: { ...method.weights }, taus: [] },
    student: { spec: meta.student as never, params: 518 },
    data: { train: 'noise:60', count: 60, name: 'noise', sha256: '0'.repeat(64) },
    epochs: 1, steps: 1, batchSize: 60, seed: 0, firstEpochTerms: { a: 1 }, finalTerms: { a: 1 }, epochMeans: [{ a: 1 }],
    trainSeconds: 1, imagesPerSec: 60, cache: { hits: 0, misses: 60, seconds: 1 }, backend: 'tensorflow',
  });
  method.dispose();
  model.dispose();

  const runDirs = [runDir];
  const models = await resolveExportedModels([FIXTURE], runDirs);
  assert.equal(models[0]!.runDir, runDir, 'the export names another run id: the only --run is its fp32 student');
  const run = await loadRun(runDir);
  const opened: Array<{ dispose(): void }> = [];
  const teacher = await teacherForRun(run);
  try {
    const exported = await openExportedModels(models, [run], opened);
    assert.deepEqual(exported.map((e) => e.model), ['proteus [tfjs]', 'proteus [onnx]', 'proteus [onnx-int8]']);
    const sets = { train: randomImages(60, 16, 1, 1, 'bank'), test: randomImages(30, 16, 1, 2, 'queries'), ood: { blank: { ...randomImages(30, 16, 1, 3, 'blank'), pixels: new Float32Array(30 * 256).fill(0.5) } } };
    const ev = await evaluateRuns({ teacher, runs: [run], sets, cacheDir: tempDir('exported-cache'), seed: 0, progress: false, exported });
    assert.deepEqual(Object.keys(ev.scorecard.students), ['proteus', 'proteus [tfjs]', 'proteus [onnx]', 'proteus [onnx-int8]']);
    const byForm = Object.fromEntries(ev.exported!.map((c) => [c.form, c]));
    assert.deepEqual(byForm.tfjs!.figures.map((f) => f.label), ['kNN agreement with the teacher', 'Linear CKA to the teacher', 'kNN accuracy', 'OOD AUROC, blank (kNN score)']);
    for (const form of ['tfjs', 'onnx']) {
      for (const f of byForm[form]!.figures) {
        assert.ok(Math.abs(f.difference.estimate) < 1e-4, `${form} ${f.label}: ${f.difference.estimate}`);
        assert.equal(f.outcome, 'same', `${form} ${f.label}`);
      }
    }
    for (const f of byForm['onnx-int8']!.figures) assert.ok(Number.isFinite(f.value) && f.difference.lower <= f.difference.upper, f.label);

    const data = buildReportData({ title: 't', config: {}, runs: [run], teacherLabel: 'teacher', evaluation: ev, train: sets.train, test: sets.test });
    const card = data.verdict!.students.find((s) => s.model === 'proteus [onnx-int8]')!;
    const rows = card.figures.filter((f) => f.reference === 'fp32 proteus');
    assert.equal(rows.length, 4);
    assert.match(rows[0]!.label, /: vs its fp32 student$/);
    assert.ok(data.models.some((m) => m.id === 'proteus [onnx-int8]'));
  } finally {
    for (const e of opened) e.dispose();
    teacher.dispose();
    run.dispose();
  }
});

test('tintem eval --model: an export whose run cannot be found, and a missing form, are one line each (exit 2)', { timeout: 300_000 }, async () => {
  const { tintem } = await import('../reliability/helpers.js');
  const alone = await tintem(['eval', '--model', FIXTURE, '--no-progress'], { timeoutSeconds: 240 });
  assert.equal(alone.code, 2, alone.stderr);
  assert.match(alone.stderr, /^tintem: error: --model .*deploy-export: its fp32 student \(run 00000000-fixture-run\) is not among the --run folders nor next to the export; pass the run folder it was exported from with --run\n$/);
  const copy = await withoutInt8();
  const missing = await tintem(['eval', '--model', `${copy}:onnx-int8`, '--no-progress'], { timeoutSeconds: 240 });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /^tintem: error: --model .*:onnx-int8: the export .* has no onnx-int8 form \(its tintem\.json lists no student\.int8\.onnx; tintem export --format onnx --quantize int8 writes it\)\n$/);
  const bad = await tintem(['eval', '--model', tampered('student.onnx'), '--no-progress'], { timeoutSeconds: 240 });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^tintem: error: .*student\.onnx: SHA-256 mismatch with tintem\.json .*; re-run 'tintem export'\n$/);
});

test('findSourceRun: the --run with the export\'s run id, else a run folder beside the export (the demo layout), else the only --run', () => {
  const root = tempDir('exported-find');
  for (const d of ['export', 'tintem', 'proteus']) mkdirSync(join(root, d));
  const ids: Record<string, string> = { [join(root, 'tintem')]: 'run-t', [join(root, 'proteus')]: 'run-p', '/elsewhere/a': 'run-a', '/elsewhere/b': 'run-t' };
  const idOf = (d: string) => ids[d];
  const meta = (runId?: string) => ({ runId }) as Parameters<typeof findSourceRun>[1];
  assert.equal(findSourceRun(join(root, 'export'), meta('run-t'), ['/elsewhere/a', '/elsewhere/b'], idOf), '/elsewhere/b');
  assert.equal(findSourceRun(join(root, 'export'), meta('run-p'), ['/elsewhere/a', '/elsewhere/b'], idOf), join(root, 'proteus'));
  assert.equal(findSourceRun(join(root, 'export'), meta('run-x'), ['/elsewhere/a'], idOf), '/elsewhere/a');
  assert.equal(findSourceRun(join(root, 'export'), meta('run-x'), ['/elsewhere/a', '/elsewhere/b'], idOf), undefined);
  assert.equal(findSourceRun(join(root, 'export'), meta(undefined), [], idOf), undefined);
});
