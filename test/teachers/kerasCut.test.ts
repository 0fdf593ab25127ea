import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { cutLayersModelJson, selectWeights, type LayersModelJson } from '../../src/teachers/kerasCut.js';

await initBackend();

/** Saves a model to memory as model.json + concatenated weight bytes (what the nsfwjs bundles hold). */
async function saveToMemory(model: tf.LayersModel): Promise<{ json: LayersModelJson; data: Uint8Array }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  const json = { modelTopology: { model_config: artifacts!.modelTopology }, weightsManifest: [{ paths: ['w'], weights: artifacts!.weightSpecs! }] };
  return { json: json as unknown as LayersModelJson, data: new Uint8Array(artifacts!.weightData as ArrayBuffer) };
}

test('cutLayersModelJson + selectWeights: the cut model equals the full model at that layer, at any input size', async () => {
  const input = tf.input({ shape: [8, 8, 3], name: 'img' });
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'a', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), biasInitializer: 'ones' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ filters: 5, kernelSize: 1, name: 'b', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(a) as tf.SymbolicTensor;
  const side = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'side', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(a) as tf.SymbolicTensor;
  const merged = tf.layers.concatenate({ name: 'merged' }).apply([b, side]) as tf.SymbolicTensor;
  const head = tf.layers.dense({ units: 3, name: 'head' }).apply(tf.layers.flatten({ name: 'flat' }).apply(merged) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const full = tf.model({ inputs: input, outputs: head });
  const { json, data } = await saveToMemory(full);

  const { json: cut, keptLayers } = cutLayersModelJson(json, 'b');
  assert.deepEqual([...keptLayers].sort(), ['a', 'b', 'img']);
  const w = selectWeights(cut.weightsManifest, data, keptLayers);
  assert.deepEqual(w.specs.map((s) => s.name), ['a/kernel', 'a/bias', 'b/kernel', 'b/bias']);
  assert.equal(w.data.byteLength, (3 * 3 * 3 * 4 + 4 + 1 * 1 * 4 * 5 + 5) * 4);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: cut.modelTopology as never, weightSpecs: w.specs, weightData: w.data }));

  const reference = tf.model({ inputs: full.inputs, outputs: full.getLayer('b').output as tf.SymbolicTensor });
  const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 4);
  const y = model.predict(x) as tf.Tensor;
  const r = reference.predict(x) as tf.Tensor;
  assert.ok(tf.max(tf.abs(tf.sub(y, r))).dataSync()[0]! < 1e-6);
  // The InputLayer is freed, so a 13x13 image runs too (the full model's dense head would refuse it).
  const big = model.predict(tf.zeros([1, 13, 13, 3])) as tf.Tensor;
  assert.deepEqual(big.shape, [1, 13, 13, 5]);
  tf.dispose([x, y, r, big]);
  model.dispose();
  full.dispose();
});
