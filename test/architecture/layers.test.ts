/**
 * The pipeline's layering, enforced: every relative import in src/ (static, dynamic, type-only) must point to
 * the same folder or to a stage below it, so no import runs back up the pipeline. And loading the config and
 * the registries (what `tintem distill` validates before any work) must not load TensorFlow.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Stage order, lowest first. A folder may import its own files and any folder of a lower rank. */
const RANK: Record<string, number> = {
  util: 0,
  backend: 1, config: 1, onnx: 1,
  data: 2, teachers: 3, cache: 4, students: 5, methods: 6, training: 7,
  evaluation: 8, robustness: 9,
  report: 10, export: 10,
  experiment: 11, cli: 12,
  'index.ts': 13,
};

const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
  const p = join(dir, name);
  return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
});

const stageOf = (path: string) => relative('src', path).split('/')[0]!;

/** Every relative module specifier a file imports or re-exports, with the line it is on. */
export function relativeImports(source: string): Array<{ spec: string; line: number }> {
  const out: Array<{ spec: string; line: number }> = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'";]*?\sfrom\s+'([^']+)'|(?:^|[\s;])import\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g;
  for (const m of source.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (spec.startsWith('.')) out.push({ spec, line: source.slice(0, m.index).split('\n').length });
  }
  return out;
}

test('no import runs back up the pipeline (util < backend, config, onnx < data < teachers < ... < cli)', () => {
  const violations: string[] = [];
  const all = files('src');
  for (const f of all) {
    const from = stageOf(f);
    assert.ok(from in RANK, `${f}: folder '${from}' has no place in the stage order (add it to RANK)`);
    for (const { spec, line } of relativeImports(readFileSync(f, 'utf8'))) {
      const to = stageOf(resolve(dirname(f), spec));
      if (to === from) continue;
      assert.ok(to in RANK, `${f}:${line}: imports '${spec}' outside the stage order`);
      if (RANK[to]! >= RANK[from]!) violations.push(`${f}:${line} (${from}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(violations, []);
  assert.ok(all.length > 100, 'found the sources');
});

test('the import scanner sees static, dynamic, type-only and side-effect imports', () => {
  const src = "import type { A } from '../a.js';\nimport '../b.js';\nexport { c } from './c.js';\nconst d = await import('../d.js');\nimport x from 'zod';\n";
  assert.deepEqual(relativeImports(src).map((i) => i.spec), ['../a.js', '../b.js', './c.js', '../d.js']);
});

test('loading and validating a config loads no TensorFlow.js', () => {
  // A child process whose module resolver refuses @tensorflow/*: validating a config must still work.
  const script = [
    "const { loadDistillConfig } = await import('./src/training/config.ts');",
    "const c = await loadDistillConfig(undefined, { set: ['method.name=proteus'] });",
    "await import('./src/cli/commands/distill.ts');",
    "console.log(c.method.name);",
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/architecture/forbid-tf.mjs', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.stderr.includes('@tensorflow'), false, r.stderr);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'proteus');
  // and the hook does refuse TensorFlow (so the check above can fail)
  const bad = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/architecture/forbid-tf.mjs', '--input-type=module', '-e', "await import('./src/backend/index.ts');"], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /refused to load @tensorflow/);
});
