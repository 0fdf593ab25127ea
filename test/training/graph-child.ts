/**
 * Child process of graph.test.ts: runs the 20-step setup of graph-setup.ts on one path in a process whose
 * oneDNN switch the parent chose (TF_ENABLE_ONEDNN_OPTS, read when TensorFlow loads), and prints the result as
 * JSON: argv = method, path.
 */
import { initBackend } from '../../src/backend/index.js';
import { run } from './graph-setup.js';

await initBackend('tensorflow');
const r = await run(process.argv[2]!, process.argv[3] as 'graph' | 'eager');
process.stdout.write(JSON.stringify({
  weights: r.weights, log: r.log, paths: r.events.filter((e) => e.type === 'path'), oneDnn: process.env.TF_ENABLE_ONEDNN_OPTS,
}));
