/**
 * `distill --init`: the student's weights before the first step are the source's bytes exactly (read here straight
 * from the source's model.json manifest and weights.bin, not through tintem's loaders); from a run folder the
 * TinTeM head comes too (compared with method-state/weights.bin); a different architecture is refused.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/backend/index.js';
import { exportRun } from '../../src/export/export-run.js';
// Hands --init the export stage's verifying open (as `tintem distill` does when --init is set).
import '../../src/export/verify.js';
import { loadDistillConfig } from '../../src/training/config.js';
import { estimateDistill, runDistill } from '../../src/experiment/distill.js';
import { UserError } from '../../src/util/errors.js';

before(async () => { await initBackend(); });

const tmp = () => mkdtempSync(join(tmpdir(), 'tintem-init-'));
const cacheDir = tmp();

function config(runDir: string, set: string[] = [], data = 'noise:48') {
  return loadDistillConfig(undefined, {
    values: { teacher: 'random:1', 'data.train': data, epochs: 1, batchSize: 16, runDir, cacheDir, progress: false },
    set: ['student.embedDim=8', ...set],
  });
}

/** Weight name -> raw little-endian float32 bytes, from a model.json manifest and its weight files on disk. */
function rawWeights(dir: string): Map<string, Buffer> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[] }> }> };
  const out = new Map<string, Buffer>();
  for (const group of json.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    let offset = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1) * 4;
      out.set(w.name, bytes.subarray(offset, offset + n));
      offset += n;
    }
  }
  return out;
}

const bytesOf = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).slice().buffer);

function assertStudentIs(model: tf.LayersModel, dir: string): void {
  const raw = rawWeights(dir);
  assert.equal(model.weights.length, raw.size);
  for (const w of model.weights) {
    const expected = raw.get(w.originalName);
    assert.ok(expected, `source has ${w.originalName}`);
    assert.ok(bytesOf(w.read()).equals(expected), `${w.originalName} is bit-identical`);
  }
}

let source: string;
before(async () => {
  source = tmp();
  await runDistill(await config(source));
});

test('distill --init <run>: student and TinTeM head start as the run left them, on new data; recorded in config.yaml', async () => {
  const runDir = tmp();
  let checked = false;
  const r = await runDistill(await config(runDir, [`init=${source}`], 'noise:32'), {
    onTrainStart: (model, method) => {
      assertStudentIs(model, join(source, 'student'));
      const head = readFileSync(join(source, 'method-state', 'weights.bin'));
      const headNow = Buffer.concat(method.variables.map((v) => bytesOf(v)));
      assert.ok(headNow.equals(head), 'the head is the run\'s method-state bytes');
      checked = true;
    },
  });
  assert.ok(checked);
  assert.equal(r.interrupted, false);
  assert.match(readFileSync(join(runDir, 'config.yaml'), 'utf8'), new RegExp(`^init: ${source}$`, 'm'));
  // A resume keeps the init (it is in the checkpoint's fingerprint): resuming without it is refused, naming it.
  await assert.rejects(runDistill(await config(runDir, [], 'noise:32'), { resume: true }), (e: unknown) => e instanceof UserError && /init/.test(e.message));
});

test('distill --init <export>: student weights are the export\'s bytes; the head is fitted fresh', async () => {
  const exportDir = tmp();
  await exportRun({ runDir: source, outDir: exportDir, gallerySize: 0 });
  const runDir = tmp();
  const seen: string[] = [];
  await runDistill(await config(runDir, [`init=${exportDir}`]), {
    onTrainStart: (model, method) => {
      assertStudentIs(model, exportDir);
      const head = readFileSync(join(source, 'method-state', 'weights.bin'));
      seen.push(Buffer.concat(method.variables.map((v) => bytesOf(v))).equals(head) ? 'same head' : 'fresh head');
    },
  });
  assert.deepEqual(seen, ['fresh head']);

  // The export is read through openExport: a tampered student.onnx, weights.bin or tintem.json is one line.
  for (const [file, re] of [
    ['student.onnx', /^--init .*student\.onnx.*: SHA-256 mismatch with tintem\.json/],
    ['weights.bin', /^--init .*weights\.bin.*: SHA-256 mismatch with tintem\.json/],
    ['tintem.json', /^--init .*tintem\.json.*: seal mismatch/],
  ] as const) {
    const copy = tmp();
    cpSync(exportDir, copy, { recursive: true });
    if (file === 'tintem.json') {
      writeFileSync(join(copy, file), readFileSync(join(copy, file), 'utf8').replace('"method": "tintem"', '"method": "proteus"'));
    } else {
      const bytes = readFileSync(join(copy, file));
      bytes[bytes.length - 3] ^= 1;
      writeFileSync(join(copy, file), bytes);
    }
    await assert.rejects(runDistill(await config(tmp(), [`init=${copy}`])), (e: unknown) => e instanceof UserError && !e.message.includes('\n') && re.test(e.message), file);
  }
});

test('distill --init <run> of another teacher: the student comes, the head is fitted fresh (it maps another teacher)', async () => {
  const seen: string[] = [];
  await runDistill(await config(tmp(), [`init=${source}`, 'teacher=random:2']), {
    onTrainStart: (model, method) => {
      assertStudentIs(model, join(source, 'student'));
      const head = readFileSync(join(source, 'method-state', 'weights.bin'));
      seen.push(Buffer.concat(method.variables.map((v) => bytesOf(v))).equals(head) ? 'same head' : 'fresh head');
    },
  });
  assert.deepEqual(seen, ['fresh head']);
});

test('distill --init: a different architecture is refused with one line naming both', async () => {
  await assert.rejects(runDistill(await config(tmp(), [`init=${source}`, 'student.embedDim=16'])), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, /its student is cnn\(.*embedDim=8.*\), this run's is cnn\(.*embedDim=16.*\)/);
    return true;
  });
  await assert.rejects(estimateDistill(await config(tmp(), [`init=${source}`, 'student.embedDim=16'])), /--init .*: its student is cnn\(/, 'distill --dry-run refuses it too');
  await assert.rejects(runDistill(await config(tmp(), [`init=${tmp()}`])), /neither a tintem run folder/);
});
