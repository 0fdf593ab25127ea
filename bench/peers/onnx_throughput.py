#!/usr/bin/env python3
"""Peer for bench/teacher-throughput.ts: onnxruntime in Python on the same .onnx file, threads and batches.
Prints one 'RESULT {json}' line: images/s over `images` images after one warm-up batch (NCHW float32 input
prepared beforehand, so only the model runs in the timed loop). A 6th argument 'int8' first runs onnxruntime's own
dynamic quantisation (quantize_dynamic, int8 weights, its defaults) of the file into a temporary folder, untimed."""
import json
import os
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

path, images, batch, threads, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
tmp = None
if len(sys.argv) > 6 and sys.argv[6] == 'int8':
    from onnxruntime.quantization import QuantType, quantize_dynamic
    tmp = tempfile.TemporaryDirectory()
    quantized = os.path.join(tmp.name, 'model.int8.onnx')
    quantize_dynamic(path, quantized, weight_type=QuantType.QInt8)
    path = quantized
opts = ort.SessionOptions()
opts.intra_op_num_threads = threads
opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
t0 = time.perf_counter()
sess = ort.InferenceSession(path, opts, providers=['CPUExecutionProvider'])
load = time.perf_counter() - t0
name = sess.get_inputs()[0].name
x = np.random.default_rng(0).random((batch, 3, size, size), dtype=np.float32)
outputs = [o.name for o in sess.get_outputs()][:1]
sess.run(outputs, {name: x})  # warm-up
t1 = time.perf_counter()
done = 0
while done < images:
    sess.run(outputs, {name: x})
    done += batch
seconds = time.perf_counter() - t1
print('RESULT ' + json.dumps({'images': done, 'seconds': seconds, 'perSecond': done / seconds, 'loadSeconds': load}))
