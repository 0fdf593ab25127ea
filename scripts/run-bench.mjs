#!/usr/bin/env node
// Runs the benchmark scripts one after another (each is a figure: bench/<name>.ts -> bench/results/<name>.json),
// then rewrites the summary table in bench/README.md from the results.
// Usage: npm run bench [-- <name>...] [-- --quick]. Default: every figure except the long paper-claim run.
import { spawnSync } from 'node:child_process';

const ALL = ['teacher-throughput', 'train-throughput', 'eval-speed', 'corrupt-speed', 'distill-acceptance', 'distill-interrupt', 'shard-scaling', 'onnx-int8', 'paper-claim'];
const DEFAULT = ALL.filter((n) => n !== 'paper-claim');
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const names = args.filter((a) => !a.startsWith('--'));
for (const n of names) if (!ALL.includes(n)) { console.error(`unknown benchmark '${n}' (expected ${ALL.join(', ')})`); process.exit(2); }
let failed = 0;
for (const name of names.length ? names : DEFAULT) {
  console.log(`\n=== bench/${name}.ts ${flags.join(' ')}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...flags], { stdio: 'inherit' });
  if (r.status !== 0) { console.error(`bench/${name}.ts failed (exit ${r.status})`); failed++; }
}
const s = spawnSync(process.execPath, ['scripts/bench-summary.mjs'], { stdio: 'inherit' });
process.exit(failed || s.status ? 1 : 0);
