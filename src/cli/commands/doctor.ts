/**
 * `tintem doctor`: what this installation can do — backend (native or not), threads, library versions, and
 * which teachers and datasets are available (file checks only; `--load` also loads each built-in teacher).
 */
import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { MiB, readTextChecked } from '../../util/safe-read.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BuiltinTeacherInfo } from '../../teachers/nsfw.js';
import { nativeFixCommand } from '../../util/native-fix.js';

const require = createRequire(import.meta.url);

/** Installed version of a package, found by walking up from its entry point (some packages hide package.json). */
export function packageVersion(name: string): string | undefined {
  let dir: string;
  try { dir = dirname(require.resolve(name)); } catch { return undefined; }
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (!existsSync(pkg)) continue;
    let json: { name?: string; version?: string };
    try { json = JSON.parse(readTextChecked(pkg, { what: 'package.json', maxBytes: MiB })) as typeof json; } catch { continue; }
    if (json.name === name) return json.version;
  }
  return undefined;
}

interface Check { name: string; ok: boolean; detail: string }

/** Files of a built-in teacher's bundle: model.min.js and every weight shard. */
function builtinTeacherFiles(module: string): string[] {
  const sub = module.split('/').pop()!;
  let root: string;
  try { root = join(dirname(require.resolve('nsfwjs')), '..', 'models', sub); } catch { return [join('nsfwjs', 'dist', 'models', sub, 'model.min.js')]; }
  const shards = existsSync(root) ? readdirShards(root) : [];
  return [join(root, 'model.min.js'), ...shards];
}

/** Every shard group1-shard<i>of<n>.min.js named by the first shard's n (a missing one is then reported). */
function readdirShards(root: string): string[] {
  const first = readdirSync(root).map((f) => /^group1-shard1of(\d+)\.min\.js$/.exec(f)).find((m) => m);
  const n = first ? Number(first[1]) : 0;
  return Array.from({ length: n }, (_, i) => join(root, `group1-shard${i + 1}of${n}.min.js`));
}

function teacherChecks(builtins: BuiltinTeacherInfo[]): Check[] {
  return builtins.map((t) => {
    const files = builtinTeacherFiles(t.module);
    const missing = files.filter((f) => !existsSync(f));
    return {
      name: `teacher ${t.name}`, ok: missing.length === 0 && files.length > 1,
      detail: missing.length === 0 ? `${t.description}, input ${t.defaultInputSize}px (${files.length - 1} weight shards)` : `missing ${missing[0]}`,
    };
  }).concat([
    { name: 'teacher random', ok: true, detail: 'tiny random-init conv net (tests)' },
    { name: 'teacher tfjs:<path>', ok: true, detail: 'any TF.js LayersModel/GraphModel model.json' },
    { name: 'teacher onnx:<path>', ok: packageVersion('onnxruntime-node') !== undefined, detail: 'any ONNX image model via onnxruntime-node' },
  ]);
}

type DataModule = typeof import('../../data/index.js');

/** One line per data source (or per split), from the data-source registry's entries. */
async function datasetChecks({ dataSourceEntries }: DataModule): Promise<Check[]> {
  const lines = await Promise.all(dataSourceEntries().map(async (e) => (await e.doctor?.()) ?? [{ name: `data ${e.usage}`, ok: true, detail: e.summary }]));
  return lines.flat();
}

/** Loads each built-in teacher and times one forward of a small batch. */
async function loadChecks(): Promise<Check[]> {
  const { tf } = await import('../../backend/index.js');
  const { createTeacher, forwardTeacher, listBuiltinTeachers } = await import('../../teachers/index.js');
  const checks: Check[] = [];
  for (const { name } of listBuiltinTeachers()) {
    const t0 = performance.now();
    try {
      const teacher = await createTeacher(name);
      const loadMs = performance.now() - t0;
      const x = tf.zeros([8, 28, 28, 1]) as import('../../backend/index.js').tf.Tensor4D;
      const t1 = performance.now();
      const out = await forwardTeacher(teacher, x);
      await out.pooled.data();
      const fwdMs = performance.now() - t1;
      tf.dispose([x, out.pooled, ...(out.tokens ? [out.tokens] : [])]);
      checks.push({ name: `load ${name}`, ok: true, detail: `${teacher.id}: dim ${teacher.embedDim}, loaded in ${(loadMs / 1000).toFixed(1)} s, 8 images in ${fwdMs.toFixed(0)} ms` });
      teacher.dispose();
    } catch (e) {
      checks.push({ name: `load ${name}`, ok: false, detail: (e as Error).message.split('\n')[0]! });
    }
  }
  return checks;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('report the backend, library versions, and which teachers and datasets are available')
    .option('--load', 'also load each built-in teacher and time a forward pass')
    .option('--json', 'print the report as JSON')
    .action(async (o: { load?: boolean; json?: boolean }) => {
      const { initBackend } = await import('../../backend/index.js');
      const backend = await initBackend();
      const versions = {
        node: process.versions.node,
        tfjs: backend.tfjsVersion,
        'tfjs-node': packageVersion('@tensorflow/tfjs-node') ?? 'not installed',
        'tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm') ?? 'not installed',
        'onnxruntime-node': packageVersion('onnxruntime-node') ?? 'not installed',
        nsfwjs: packageVersion('nsfwjs') ?? 'not installed',
      };
      const [{ listBuiltinTeachers }, data] = await Promise.all([import('../../teachers/index.js'), import('../../data/index.js')]);
      const { probeGraphTraining } = await import('../../backend/graph/index.js');
      const graph = probeGraphTraining();
      // What `precision: auto` trains in here (training turns oneDNN on for the graph path by default).
      const { bf16Support, resolvePrecision } = await import('../../backend/precision.js');
      const bf16 = bf16Support();
      const auto = resolvePrecision('auto', { graph: graph.available, oneDnn: process.env.TF_ENABLE_ONEDNN_OPTS !== '0' || !backend.native, support: bf16 });
      const precision = { bf16Cpu: bf16.supported, bf16Reason: bf16.reason, auto: auto.precision, autoReason: auto.reason };
      const checks = [...teacherChecks(listBuiltinTeachers()), ...(await datasetChecks(data)), ...(o.load ? await loadChecks() : [])];
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ backend, versions, graphTraining: graph, precision, checks }, null, 2)}\n`);
        return;
      }
      const lines = [
        `backend   ${backend.name} (${backend.native ? 'native' : 'NOT native'}), ${backend.threads} threads${backend.fallbackReason ? `; ${backend.fallbackReason}` : ''}`,
        ...(backend.native ? [] : [`fix       install the native backend (about 50x faster) with: ${nativeFixCommand()}`]),
        `training  ${graph.available ? 'graph (each step runs as one TensorFlow graph)' : `eager only: graph training unavailable (${graph.reason})`}`,
        `precision auto -> ${auto.precision} (${auto.reason}${bf16.supported || auto.reason === bf16.reason ? '' : `; bf16 on this CPU: ${bf16.reason}`})`,
        `versions  ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        ...checks.map((c) => `${(c.ok ? 'ok' : 'MISSING').padEnd(8)}${c.name.padEnd(22)} ${c.detail}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      if (checks.some((c) => !c.ok)) process.exitCode = 1;
    });
}
