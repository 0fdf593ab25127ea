/**
 * Joins blocks of the paper-claim grid that were run separately (`bench/paper-claim.ts --results-name <name>`,
 * one (dataset, teacherNorm) block per run, because the whole converged grid takes about four hours on 2 cores)
 * into the full grid: bench/results/paper-claim.json (every aggregate, the convergence rows, one entry per part)
 * and docs/results.md. It trains and evaluates nothing. It refuses parts whose settings differ other than in
 * --datasets / --teacher-norms, parts that cover the same block twice, and a join that leaves a block of the
 * datasets × teacherNorms grid out.
 *
 *   npx tsx bench/paper-claim-combine.ts [--parts paper-claim-equal-mnist,paper-claim-equal-fashion,...]
 *       [--compare paper-claim-converged-mnist,...] [--doc docs/results.md] [--results bench/results/paper-claim.json]
 *
 * --compare names earlier parts of the same blocks (any settings): the doc then says, block by block, how TinTeM's
 * verdicts against each baseline moved from that grid to this one. --doc / --results write the join elsewhere
 * (docs/results-converged.md keeps the converged grid that way).
 *
 * Each part's raw scorecards stay in its own bench/results/<part>.json; its own doc stays in docs/<part>.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseDistillConfig } from '../src/training/config.js';
import type { DistillSummary } from '../src/experiment/distill.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { blockConvergenceRows, blockKey, blockResult, blockTitle, CONVERGENCE_RULE, DATASETS, paperNotes, requoteMachineNote, studentDescription, type BlockSeed, type DatasetKey } from './lib/paper-grid.js';
import { docLink, figureName, machineOfDoc, resultsMarkdown, type ConvergenceRow, type DatasetResult, type ResultsDoc, type ResultsPart, type RunRow, type VerdictMove } from './lib/paper-markdown.js';
import type { MetricAggregate, Outcome } from './lib/paper-metrics.js';

const DEFAULT_PARTS = ['paper-claim-equal-mnist', 'paper-claim-equal-fashion'];
const DEFAULT_COMPARE = ['paper-claim-converged-mnist', 'paper-claim-converged-fashion'];
const NORM_ORDER = ['none', 'center', 'standardize'];
const DEFAULT_RESULTS = 'bench/results/paper-claim.json';
const DEFAULT_DOC = 'docs/results.md';

function fail(message: string): never {
  process.stderr.write(`paper-claim-combine: ${message}\n`);
  process.exit(2);
}

interface PartJson {
  bench: string; quick: boolean; date: string; command: string; wallSeconds: number; backend: string; doc: string; rule: string; rawNote?: string;
  settings: Record<string, unknown> & { datasets: DatasetKey[]; teacherNorms: string[]; seeds: number[]; methods: string[]; epochs: number; trainLimit: number; teacher: string; evalSeed: number;
    converge?: { maxEpochs: number; epochGrowth: number; probeTrain: number; probeTest: number; rule: string } };
  aggregates: Record<string, MetricAggregate[]>;
  raw: Record<string, Array<BlockSeed & { runs: Record<string, DistillSummary> }>>;
}

function listOption(name: string, fallback: string[]): string[] {
  const k = process.argv.indexOf(name);
  if (k < 0) return fallback;
  const list = (process.argv[k + 1] ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  if (list.length === 0) fail(`${name}: expected a comma-separated list of bench/results/<name>.json names`);
  const twice = list.find((n, j) => list.indexOf(n) !== j);
  if (twice) fail(`${name}: '${twice}' is given twice`);
  return list;
}
function pathOption(name: string, fallback: string, ext: string): string {
  const k = process.argv.indexOf(name);
  if (k < 0) return fallback;
  const v = process.argv[k + 1] ?? '';
  if (!v.endsWith(ext) || v.startsWith('-')) fail(`${name}: expected a path ending in ${ext}, got '${v}'`);
  return v;
}

const partNames = listOption('--parts', DEFAULT_PARTS);
// The earlier grid is compared only when asked, or by default when the default parts are joined.
const compareNames = process.argv.includes('--compare') ? listOption('--compare', []) : process.argv.includes('--parts') ? [] : DEFAULT_COMPARE;
const RESULTS_PATH = pathOption('--results', DEFAULT_RESULTS, '.json');
const DOC_PATH = pathOption('--doc', DEFAULT_DOC, '.md');

function loadPart(name: string) {
  if (!/^paper-claim-[a-z0-9-]+$/.test(name)) fail(`--parts: '${name}' is not a paper-claim part name (expected paper-claim-<name>)`);
  const path = `bench/results/${name}.json`;
  if (!existsSync(path)) fail(`${path}: not found (run bench/paper-claim.ts --results-name ${name} first)`);
  let json: PartJson;
  try { json = JSON.parse(readFileSync(path, 'utf8')) as PartJson; } catch (e) { fail(`${path}: not valid JSON (${(e as Error).message})`); }
  if (json.bench !== 'paper-claim' || json.quick || !json.settings || !json.aggregates || !json.raw) fail(`${path}: not a full (non --quick) paper-claim results file`);
  if (!existsSync(json.doc)) fail(`${path}: its doc ${json.doc} is missing`);
  // The machine line as its doc states it (a doc may correct the --machine-note given at start; the JSON keeps the command as run).
  const machine = machineOfDoc(readFileSync(json.doc, 'utf8'));
  if (machine === undefined) fail(`${json.doc}: no '- Backend: ...; machine: ... Wall time of the whole run:' line`);
  return { name, path, json, machine };
}
const parts = partNames.map(loadPart);
const compareParts = compareNames.map(loadPart);

// Every setting but the grid's two axes must agree, or the blocks are not comparable.
const { datasets: _d, teacherNorms: _n, ...common } = parts[0]!.json.settings;
for (const p of parts.slice(1)) {
  const { datasets: _pd, teacherNorms: _pn, ...other } = p.json.settings;
  if (JSON.stringify(other) !== JSON.stringify(common)) fail(`${p.path}: its settings differ from ${parts[0]!.path} in more than datasets / teacherNorms`);
  if (p.json.backend !== parts[0]!.json.backend) fail(`${p.path}: backend ${p.json.backend}, but ${parts[0]!.path} ran on ${parts[0]!.json.backend}`);
  if (p.json.rule !== parts[0]!.json.rule) fail(`${p.path}: a different win/tie/loss rule from ${parts[0]!.path}`);
}
const settings0 = parts[0]!.json.settings;

const blocks = new Map<string, { norm: string; dataset: DatasetKey; part: (typeof parts)[number] }>();
for (const p of parts) {
  for (const norm of p.json.settings.teacherNorms) for (const dataset of p.json.settings.datasets) {
    const key = blockKey(norm, dataset);
    if (!p.json.aggregates[key] || !p.json.raw[key]) fail(`${p.path}: block '${key}' is in its settings but not in its results`);
    const seen = blocks.get(key);
    if (seen) fail(`block '${key}' is in both ${seen.part.path} and ${p.path}`);
    blocks.set(key, { norm, dataset, part: p });
  }
}
const datasets = (Object.keys(DATASETS) as DatasetKey[]).filter((d) => [...blocks.values()].some((b) => b.dataset === d));
const teacherNorms = NORM_ORDER.filter((n) => [...blocks.values()].some((b) => b.norm === n));
for (const norm of teacherNorms) for (const dataset of datasets) {
  if (!blocks.has(blockKey(norm, dataset))) fail(`block '${blockKey(norm, dataset)}' is in none of the parts (${partNames.join(', ')}): the grid ${datasets.join(' + ')} × ${teacherNorms.join(' + ')} is incomplete`);
}

const methods = settings0.methods;
const results: DatasetResult[] = [];
const convergenceRows: ConvergenceRow[] = [];
const aggregates: Record<string, MetricAggregate[]> = {};
for (const norm of teacherNorms) for (const dataset of datasets) {
  const key = blockKey(norm, dataset);
  const { part } = blocks.get(key)!;
  aggregates[key] = part.json.aggregates[key]!;
  results.push(blockResult(norm, dataset, part.json.raw[key]!, aggregates[key], methods));
  convergenceRows.push(...blockConvergenceRows(key, part.json.raw[key]!));
}
const runRows: RunRow[] = results.flatMap((r) => blocks.get(r.key)!.part.json.raw[r.key]!.flatMap((seed) => methods.map((m) => ({
  block: r.title, seed: seed.seed, method: m, epochs: seed.runs[m]!.epochs, trainSeconds: seed.runs[m]!.trainSeconds,
}))));

/** --compare: per block and baseline, the outcome counts of the earlier grid and this one, and each figure that changed. */
function verdictMoves(): ResultsDoc['moved'] {
  if (compareParts.length === 0) return undefined;
  const earlier = new Map<string, MetricAggregate[]>();
  for (const p of compareParts) for (const [key, agg] of Object.entries(p.json.aggregates)) {
    if (earlier.has(key)) fail(`--compare: block '${key}' is in more than one of ${compareNames.join(', ')}`);
    earlier.set(key, agg);
  }
  const moves: VerdictMove[] = [];
  for (const r of results) {
    const before = earlier.get(r.key);
    if (!before) fail(`--compare: block '${r.key}' is in none of ${compareNames.join(', ')}`);
    for (const b of methods.filter((m) => m !== 'tintem')) {
      const zero = (): Record<Outcome, number> => ({ win: 0, tie: 0, loss: 0 });
      const move: VerdictMove = { block: r.title, baseline: b, before: zero(), now: zero(), changes: [], common: 0 };
      for (const m of r.metrics) {
        const old = before.find((x) => x.id === m.id)?.comparisons.find((c) => c.baseline === b)?.outcome;
        const now = m.comparisons.find((c) => c.baseline === b)?.outcome;
        if (!old || !now) continue;
        move.common++;
        move.before[old]++;
        move.now[now]++;
        if (old !== now) move.changes.push({ figure: figureName(m), before: old, now });
      }
      moves.push(move);
    }
  }
  const epochs = compareParts.flatMap((p) => Object.values(p.json.raw).flatMap((seeds) => seeds.flatMap((seed) => Object.values(seed.runs).map((run) => run.epochs))));
  const budget = Math.min(...epochs) === Math.max(...epochs) ? `${epochs[0]} epochs for every student` : `${Math.min(...epochs)} to ${Math.max(...epochs)} epochs per student`;
  const rule = compareParts[0]!.json.settings.converge ? ', each trained until its convergence rule held' : '';
  return { against: `the same blocks in ${compareParts.map((p) => docLink(p.json.doc)).join(', ')} (${budget}${rule})`, blocks: moves };
}
const moved = verdictMoves();

const firstRaw = parts[0]!.json.raw[Object.keys(parts[0]!.json.raw)[0]!]![0]!;
const summary = firstRaw.runs.tintem ?? Object.values(firstRaw.runs)[0]!;
// lr / weight decay are not in a run summary: they are the defaults paper-claim.ts trains with (it sets neither).
const defaults = parseDistillConfig({ teacher: settings0.teacher, data: { train: DATASETS[datasets[0]!].train }, method: { name: 'tintem' } });
const resultsParts: ResultsPart[] = parts.map((p) => ({
  blocks: p.json.settings.teacherNorms.flatMap((n) => p.json.settings.datasets.map((d) => blockTitle(n, d))),
  doc: p.json.doc, command: requoteMachineNote(p.json.command), date: p.json.date.slice(0, 10), wallSeconds: p.json.wallSeconds, machine: p.machine,
}));
const wallSeconds = parts.reduce((s, p) => s + p.json.wallSeconds, 0);
const date = parts.map((p) => p.json.date).sort().at(-1)!;
const command = ['npx tsx bench/paper-claim-combine.ts --parts', partNames.join(','),
  ...(compareNames.length ? ['--compare', compareNames.join(',')] : []),
  ...(DOC_PATH !== DEFAULT_DOC ? ['--doc', DOC_PATH] : []), ...(RESULTS_PATH !== DEFAULT_RESULTS ? ['--results', RESULTS_PATH] : [])].join(' ');
const outDir = /are in (\S+)\/<dataset>/.exec(parts[0]!.json.rawNote ?? '')?.[1] ?? 'runs/paper-claim';
const converge = settings0.converge;

const doc: ResultsDoc = {
  command, date: date.slice(0, 10), wallSeconds, backend: parts[0]!.json.backend, machine: 'per block below',
  teacher: { spec: settings0.teacher, id: summary.teacher.id, embedDim: summary.teacher.embedDim, tokenCount: summary.teacher.tokenCount },
  student: { description: studentDescription(summary.student.spec as unknown as Record<string, unknown>), params: summary.student.params, embedDim: summary.student.spec.embedDim },
  methods, seeds: settings0.seeds, evalSeed: settings0.evalSeed, epochs: settings0.epochs, trainCount: summary.data.count, outDir,
  batchSize: summary.batchSize, lr: defaults.lr, weightDecay: defaults.weightDecay,
  datasets: results, resultsPath: RESULTS_PATH,
  ...(converge ? { convergence: { rule: converge.rule ?? CONVERGENCE_RULE, probe: `the first ${converge.probeTrain} training images (bank) and ${converge.probeTest} test images (queries)`, rows: convergenceRows } } : {}),
  parts: resultsParts,
  ...(converge ? {} : { runs: runRows }),
  ...(moved ? { moved } : {}),
  notes: paperNotes({
    trainLimit: settings0.trainLimit, epochs: settings0.epochs, trainings: results.length * settings0.seeds.length * methods.length,
    evaluations: results.length * settings0.seeds.length, teacherNorms, quick: false, ...(converge ? { converge } : {}),
  }),
};

const json = {
  bench: 'paper-claim', quick: false, date, command, wallSeconds, backend: doc.backend,
  settings: { ...settings0, datasets, teacherNorms }, doc: DOC_PATH, rule: parts[0]!.json.rule,
  parts: parts.map((p, k) => ({ name: p.name, results: p.path, ...resultsParts[k]! })),
  aggregates, convergence: convergenceRows,
  rawNote: 'The raw scorecards are in each part\'s own results file (parts[].results).',
};
await writeFileAtomic(RESULTS_PATH, `${JSON.stringify(json, null, 1)}\n`);
await writeFileAtomic(DOC_PATH, resultsMarkdown(doc));
process.stdout.write(`paper-claim-combine: ${results.length} blocks from ${parts.length} parts (${(wallSeconds / 60).toFixed(1)} min of runs)\nresults: ${RESULTS_PATH}\ndoc: ${DOC_PATH}\n`);
