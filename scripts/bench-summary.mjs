#!/usr/bin/env node
// Rewrites the summary table in bench/README.md (between the BEGIN/END markers) from bench/results/*.json,
// so the numbers in the README are always the ones the last benchmark runs wrote.
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const read = (name) => (existsSync(`bench/results/${name}.json`) ? JSON.parse(readFileSync(`bench/results/${name}.json`, 'utf8')) : undefined);
const f = (x, d = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '—');
const rows = [];

const tt = read('teacher-throughput');
if (tt) {
  for (const teacher of [...new Set(tt.rows.map((r) => r.teacher))]) {
    const of = (v) => tt.rows.find((r) => r.teacher === teacher && r.variant === v);
    const nat = of('native'), wasm = of('wasm'), eager = of('native eager');
    rows.push(['teacher-throughput', `${teacher}: embeddings/s, tfjs-node (graph) vs tfjs-wasm`,
      `${f(nat?.medianImagesPerSecond)} vs ${f(wasm?.medianImagesPerSecond)} img/s`, `${f(nat?.ratioVsWasm, 2)}x wasm`, tt.quick ? 'quick' : `${tt.repeats} repeats`]);
    if (eager) {
      rows.push(['teacher-throughput', `${teacher}: the same, graph vs eager forward`,
        `${f(nat?.medianImagesPerSecond)} vs ${f(eager.medianImagesPerSecond)} img/s`, `${f(nat.medianImagesPerSecond / eager.medianImagesPerSecond, 2)}x eager`, tt.quick ? 'quick' : `${tt.repeats} repeats`]);
    }
  }
}
const to = read('teacher-throughput-onnx');
if (to) {
  rows.push(['teacher-throughput', `ONNX DINOv2-small arch @224 px, ${to.threads} threads: tintem vs onnxruntime-python`,
    `${f(to.tintemImagesPerSecond, 2)} vs ${f(to.onnxruntimePythonImagesPerSecond, 2)} img/s`, `${f(to.ratio, 2)}x`, to.quick ? 'quick' : `${to.rounds} alternating rounds`]);
}
const ti = read('teacher-throughput-onnx-int8');
if (ti) {
  const fid = ti.fidelity ? `, fidelity min cosine ${f(ti.fidelity.minCosine, 4)} on ${ti.fidelity.images} images` : '';
  rows.push(['teacher-throughput', `ONNX DINOv2-small arch @224 px, ${ti.threads} threads, teacherPrecision int8: tintem's rewrite vs onnxruntime-python quantize_dynamic`,
    `${f(ti.tintemImagesPerSecond, 2)} vs ${f(ti.onnxruntimePythonImagesPerSecond, 2)} img/s`, `${f(ti.ratio, 2)}x${fid}`, ti.quick ? 'quick' : `${ti.samples?.tintem?.length ?? '?'} alternating rounds`]);
}
const tr = read('train-throughput');
if (tr) {
  const r = tr.results ?? {};
  const ips = (k) => r[k]?.imagesPerSec;
  const best = [ips('tintem graph, oneDNN on'), ips('tintem graph, oneDNN off')].filter((x) => x !== undefined);
  const runs = tr.quick ? 'quick' : `${tr.rounds} alternating rounds, load ${f(Math.max(...(tr.machineLoad?.loadAvgDuringRounds ?? tr.machineLoad?.loadAvg1mDuringRounds ?? [0])), 1)}`;
  // 'pytorch fp32' since the photo-size cases (issue 28); results from before call it 'pytorch eager'.
  const torchFp32 = r['pytorch fp32'] ? 'pytorch fp32' : 'pytorch eager';
  rows.push(['train-throughput', `student training (CNN, TinTeM ${tr.model?.teacherDim}-d, ${tr.model?.tokenCount} tokens), batch ${tr.batchSize}, ${tr.threads} threads: tintem graph vs PyTorch ${tr.torch} eager`,
    `${f(best.length ? Math.max(...best) : undefined, 0)} vs ${f(ips(torchFp32), 0)} img/s`, `${f(tr.ratios?.graphOverTorch, 2)}x PyTorch (target 1.3)`, runs]);
  rows.push(['train-throughput', 'the same, tintem eager step vs PyTorch eager', `${f(ips('tintem eager'), 0)} vs ${f(ips(torchFp32), 0)} img/s`, `${f(tr.ratios?.eagerOverTorch, 2)}x PyTorch`, runs]);
  for (const [key, label, target] of [['mnist', 'MNIST CNN', 1.0], ['photoCnn', 'ResNet-18-width CNN @112 px, batch 32', 1.0], ['photoVit', 'ViT-Ti/16 @224 px, batch 32', 1.3]]) {
    const c = tr.cases?.[key];
    if (!c || c.overBestTorch === null) continue;
    rows.push(['train-throughput', `${label}: tintem (default precision) vs the best PyTorch (${c.bestTorch})`, `${f(ips(c.tintem), 1)} vs ${f(ips(c.bestTorch), 1)} img/s`,
      `${f(c.overBestTorch, 2)}x (target ${target})`, runs]);
  }
  if (r['vit-112 eager']) rows.push(['train-throughput', 'ViT student at 112 px (16 px patches): tintem graph vs eager', `${f(ips('vit-112 graph, oneDNN on'), 0)} vs ${f(ips('vit-112 eager'), 0)} img/s`, `${f(tr.ratios?.vitGraphOverEager, 2)}x eager`, runs]);
}
const ev = read('eval-speed');
if (ev) {
  for (const k of ev.knnSpeedup ?? []) rows.push(['eval-speed', `kNN classify, d=${k.dim}: chunked tf vs naive JS`, '', `${f(k.naiveOverTf, 0)}x faster`, ev.quick ? 'quick' : 'median of 3']);
  rows.push(['eval-speed', `full scorecard, ${ev.sizes.test} test + ${ev.sizes.bank} bank embeddings`, `${f(ev.endToEnd?.seconds)} s`, `target ${ev.endToEnd?.targetSeconds} s`, ev.quick ? 'quick' : '1 run']);
}
const cs = read('corrupt-speed');
if (cs) {
  const b = cs.budget ?? {};
  rows.push(['corrupt-speed', `all corruptions x 5 severities on 10,000 28x28 images`, `${f(b.scaledTo10kSeconds ?? b.totalSeconds)} s wall`, `target ${b.targetSeconds} s`, cs.quick ? `quick (${cs.images} images, scaled)` : `${cs.images} images`]);
  for (const [name, k] of Object.entries(cs.kernelPeers ?? {})) {
    rows.push(['corrupt-speed', `blur kernel ${name}: ours vs naive dense (per 1000 images)`, `${f(k.oursMs)} vs ${f(k.naiveMs)} ms`, `${f(k.ratio, 1)}x faster`, 'same run']);
  }
}
const da = read('distill-acceptance');
if (da) {
  rows.push(['distill-acceptance', `kNN@20 on MNIST test, ${da.limit} train images, ${da.epochs} epochs: distilled vs untrained student`,
    `${f(100 * da.knn.trained)}% vs ${f(100 * da.knn.untrained)}%`, `+${f(da.knn.gainPoints)} points`, da.pass ? 'pass (>= 20)' : 'FAIL']);
}
const di = read('distill-interrupt');
if (di) {
  const sig = Object.entries(di.bySignal ?? {}).map(([k, v]) => `${v} ${k}`).join(', ');
  rows.push(['distill-interrupt', `${di.complete === false ? 'PARTIAL: ' : ''}distill stopped at random points (${sig}), then resumed: final weights vs an uninterrupted run`,
    `${di.identical}/${di.trials} bit-identical`, `${di.stops} stops, ${di.processes} processes`, di.quick ? 'quick' : `${di.trials} trials`]);
}
const ss = read('shard-scaling');
if (ss?.rows) {
  const row = (p) => ss.rows.find((r) => r.processes === p);
  rows.push(['shard-scaling', `teacher pass (${ss.teacher}, ${ss.images} images) as 1 / 2 / 4 concurrent \`embed --shard\` processes, ${ss.cores} shared cores`,
    ss.rows.map((r) => f(r.medianWallImagesPerSecond)).join(' / ') + ' img/s wall', `${f(row(2)?.speedupVsOne, 2)}x / ${f(row(4)?.speedupVsOne, 2)}x vs 1`,
    ss.quick ? 'quick' : `median of ${ss.repeats}, alternating`]);
}
const oi = read('onnx-int8');
if (oi) {
  rows.push(['onnx-int8', `exported ${oi.student?.preset ?? 'resnet18-shaped'} student @${oi.size} px, onnxruntime-node, batch ${oi.batch}, ${oi.threads} threads: int8 vs fp32`,
    `${f(oi.int8ImagesPerSecond)} vs ${f(oi.fp32ImagesPerSecond)} img/s`, `${f(oi.ratio, 2)}x fp32, ${f(100 * oi.sizeRatio, 0)}% size, cosine >= ${f(oi.int8CosineToFp32?.min, 4)}`,
    oi.quick ? 'quick' : `median of ${oi.rounds} alternating rounds`]);
}
// paper-claim.json is the full grid; paper-claim-<name>.json files are parts run on their own (--results-name).
// A full grid joined from parts (bench/paper-claim-combine.ts) lists them in parts[]: their rows would repeat it.
const paperClaims = readdirSync('bench/results').filter((f) => /^paper-claim(-[a-z0-9-]+)?\.json$/.test(f)).sort().map((f) => ({ name: f.slice(0, -5), pc: read(f.slice(0, -5)) }));
const joined = new Set(paperClaims.flatMap(({ pc }) => (pc?.parts ?? []).map((p) => p.name)));
for (const { name, pc } of paperClaims) {
  if (!pc?.aggregates || joined.has(name)) continue;
  const tally = {};
  for (const figures of Object.values(pc.aggregates)) {
    for (const fig of figures) {
      for (const c of fig.comparisons ?? []) {
        tally[c.baseline] ??= { win: 0, tie: 0, loss: 0 };
        tally[c.baseline][c.outcome]++;
      }
    }
  }
  const st = pc.settings;
  const budget = st.converge ? `trained to convergence (>= ${st.epochs} epochs, rule in the doc)` : `x ${st.epochs} epochs`;
  const grid = `${st.datasets.join(' + ')}, teacherNorm ${(st.teacherNorms ?? ['none']).join(' + ')}`;
  const wall = typeof pc.wallSeconds === 'number' ? `, ${f(pc.wallSeconds / 60, 0)} min${pc.parts ? ` in ${pc.parts.length} separately run blocks` : ''}` : '';
  for (const [baseline, t] of Object.entries(tally)) {
    rows.push(['paper-claim', `${pc.stale ? 'STALE: ' : ''}TinTeM vs ${baseline}: faithfulness figures, ${grid} (${pc.doc ?? 'docs/results.md'})`, `${t.win} win${t.win === 1 ? '' : 's'} / ${t.tie} tie${t.tie === 1 ? '' : 's'} / ${t.loss} loss${t.loss === 1 ? '' : 'es'}`,
      '', `${st.seeds.length} seeds, ${st.trainLimit} images ${budget}${wall}`]);
  }
}

const table = [
  '| figure | what | measured | ratio / target | run |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const path = 'bench/README.md';
const begin = '<!-- BEGIN bench-summary (generated by scripts/bench-summary.mjs) -->';
const end = '<!-- END bench-summary -->';
const text = existsSync(path) ? readFileSync(path, 'utf8') : `# Benchmarks\n\n${begin}\n${end}\n`;
const i = text.indexOf(begin), j = text.indexOf(end);
const next = i >= 0 && j > i ? `${text.slice(0, i + begin.length)}\n${table}\n${text.slice(j)}` : `${text}\n${begin}\n${table}\n${end}\n`;
writeFileSync(`${path}.tmp`, next);
renameSync(`${path}.tmp`, path);
console.log(table);
