/** The page's model card (issue 27, item 3): the model's size without the gallery, and no "seed: 0.000". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headline, modelKb } from '../../web/src/model-info.js';

test('the model size leaves the gallery out; the seed is not a score', () => {
  const files = { 'model.json': { bytes: 2048, sha256: 'a' }, 'weights.bin': { bytes: 1282048, sha256: 'b' }, 'gallery.json': { bytes: 3587072, sha256: 'c' } };
  assert.equal(modelKb({ files } as never), (2048 + 1282048) / 1024); // 1254 KB, not 4757 KB
  assert.deepEqual(headline({ seed: 0, knnAccuracy: 0.91234, queries: 61, teacher: 'x' }), ['knnAccuracy: 0.912', 'queries: 61', 'teacher: x']);
});
