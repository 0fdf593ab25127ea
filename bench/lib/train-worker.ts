/**
 * One tintem training configuration as a child process of bench/train-throughput.ts, speaking the same
 * line protocol as the PyTorch peer: a JSON config line in, {"ready": true, ...} out, then "run <k>" -> k timed
 * steps as {"times": [...]}; "quit" exits. A process each, because oneDNN and the thread pool are per process.
 */
import { createInterface } from 'node:readline';
import { initBackend } from '../../src/backend/index.js';
import { resolvePrecision, type PrecisionSetting } from '../../src/backend/precision.js';
import { createStudent, type StudentSpec } from '../../src/students/index.js';
import { createMethod } from '../../src/methods/index.js';
import { createTeacherSource } from '../../src/training/teacher-source.js';
import { createStepTimer } from '../../src/training/trainer.js';
import { Rng } from '../../src/util/random.js';

interface WorkerConfig { spec: StudentSpec; batchSize: number; teacherDim: number; tokenCount: number; stepPath: 'graph' | 'eager'; precision?: PrecisionSetting }

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const cfg = JSON.parse((await lines.next()).value as string) as WorkerConfig;
const backend = await initBackend();
const { spec, batchSize: B, teacherDim: D, tokenCount: T } = cfg;
const student = createStudent(spec, 0);
const method = await createMethod({ name: 'tintem' }, { teacherDim: D, studentDim: spec.embedDim, teacherTokens: T > 0, seed: 0 });
const rng = new Rng(0);
const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const source = createTeacherSource({ cached: new Map([[0, { pooled: fill(B * D), dim: D, tokens: T > 0 ? fill(B * T * D) : undefined, tokenCount: T }]]) });
const size = spec.inputSize;
const data = { name: 'random', count: B, height: size, width: size, channels: spec.channels, pixels: Float32Array.from({ length: B * size * size * spec.channels }, () => rng.next()) };
const fallbacks: string[] = [];
// tintem's default precision (auto) unless the benchmark names one, resolved as distill does.
const oneDnn = process.env.TF_ENABLE_ONEDNN_OPTS === '1';
const { precision, reason: precisionReason } = resolvePrecision(cfg.precision ?? 'auto', { graph: cfg.stepPath === 'graph' && backend.native, oneDnn });
const timer = createStepTimer({ student, method, teacherFeatures: source, data, batchSize: B, stepPath: cfg.stepPath, precision, onFallback: (r) => fallbacks.push(r) });
process.stdout.write(`${JSON.stringify({
  ready: true, backend: backend.name, tfjs: backend.tfjsVersion, oneDnn, precision, precisionReason,
})}\n`);
for (;;) {
  const { value, done } = await lines.next();
  const cmd = done ? ['quit'] : String(value).split(' ');
  if (cmd[0] !== 'run') break;
  const times = await timer.run(Number(cmd[1]));
  process.stdout.write(`${JSON.stringify({ times, path: timer.path, fallback: fallbacks[0] ?? null })}\n`);
}
timer.dispose();
student.dispose();
method.dispose();
