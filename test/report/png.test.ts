import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePngDataUri, encodePngDataUri } from '../../src/report/png.js';

test('PNG data URI round trip is exact for values on the 1/255 grid (grayscale and RGB)', async () => {
  for (const channels of [1, 3] as const) {
    const width = 7, height = 5;
    const pixels = Float32Array.from({ length: width * height * channels }, (_, i) => ((i * 37) % 256) / 255);
    const uri = await encodePngDataUri({ width, height, channels, pixels });
    assert.match(uri, /^data:image\/png;base64,/);
    // Starts with the PNG signature.
    assert.deepEqual([...Buffer.from(uri.split(',')[1]!, 'base64').subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const back = await decodePngDataUri(uri);
    assert.deepEqual([back.width, back.height, back.channels], [width, height, channels]);
    assert.deepEqual(Array.from(back.pixels, (v) => Math.round(v * 255)), Array.from(pixels, (v) => Math.round(v * 255)));
  }
});

test('PNG encoding clamps out-of-range values and rejects a wrong pixel count', async () => {
  const back = await decodePngDataUri(await encodePngDataUri({ width: 3, height: 1, channels: 1, pixels: [-0.5, 0.5, 2] }));
  assert.deepEqual(Array.from(back.pixels, (v) => Math.round(v * 255)), [0, 128, 255]);
  await assert.rejects(encodePngDataUri({ width: 2, height: 2, channels: 3, pixels: new Float32Array(4) }, 'neighbours.queries[0].image'), {
    name: 'UserError',
    message: 'neighbours.queries[0].image: expected 12 pixel values (2x2x3), got 4',
  });
});
