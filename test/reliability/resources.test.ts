/**
 * Resources over a long run: 20 epochs of the whole distill pipeline in-process (64 noise images, batch 16:
 * 80 steps), sampling tensor count and RSS at every epoch through the trainer's onEvent. Tensors must stay
 * exactly constant and RSS must not creep after warm-up. (Disk full while checkpointing is proven through the
 * CLI in distill-kill.test.ts and in-process in test/training/trainer.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tf, initBackend } from '../../src/backend/index.js';
import { loadDistillConfig as loadConfig } from '../../src/training/config.js';
import { runDistill } from '../../src/experiment/distill.js';
import type { TrainEvent } from '../../src/training/trainer.js';
import { setQuiet } from '../../src/util/log.js';
import { tempDir } from './helpers.js';

await initBackend();
setQuiet(true);
// A full GC before each sample, so lazily collected garbage does not read as growth (and a real leak still does).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const EPOCHS = 20;
const MB = 1024 * 1024;

test('memory stays flat over a 20-epoch run: constant tensor count, bounded RSS', async () => {
  const root = tempDir('memory');
  const config = await loadConfig(undefined, {
    values: { teacher: 'random:1', 'data.train': 'noise:64', epochs: EPOCHS, batchSize: 16, runDir: join(root, 'run'), cacheDir: join(root, 'cache'), progress: false },
    set: ['student.embedDim=8', 'student.stemWidth=16'],
  });
  const tensorsBefore = tf.memory().numTensors;
  const epochs: Array<{ numTensors: number; rss: number; heap: number }> = [];
  const onEvent = (e: TrainEvent) => {
    if (e.type !== 'epoch') return;
    gc();
    const m = process.memoryUsage();
    epochs.push({ numTensors: e.numTensors, rss: m.rss / MB, heap: m.heapUsed / MB });
  };
  const r = await runDistill(config, { onEvent });
  assert.equal(r.interrupted, false);
  assert.equal(epochs.length, EPOCHS);
  const counts = epochs.map((e) => e.numTensors);
  assert.ok(counts.every((n) => n === counts[0]), `tensor count changed across epochs: ${counts.join(' ')}`);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'student, head and optimiser state all released at the end');
  // Warm-up (allocator pools, lazily compiled kernels) is over after 3 epochs; later growth would be a leak.
  const rss = epochs.map((e) => e.rss);
  const growth = Math.max(...rss.slice(3)) - rss[2]!;
  assert.ok(growth < 50, `RSS grew ${growth.toFixed(1)} MB after warm-up: ${rss.map((x) => x.toFixed(0)).join(' ')}`);
  const heapGrowth = epochs.at(-1)!.heap - epochs[2]!.heap;
  assert.ok(heapGrowth < 5, `JS heap grew ${heapGrowth.toFixed(2)} MB after warm-up: ${epochs.map((e) => e.heap.toFixed(1)).join(' ')}`);
  // The loss kept improving, so the 80 steps really trained.
  assert.ok(r.summary!.finalTerms.studentPooled! < r.summary!.firstEpochTerms.studentPooled!);
});
