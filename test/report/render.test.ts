import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../src/cli/commands/report.js';
import { flattenConfig, readReportData, renderHtmlReport, renderMarkdownSummary, writeReport, type ReportData } from '../../src/report/index.js';
import { syntheticReportData } from './fixture.js';

const headerOnly = (): ReportData => ({
  version: 1, title: 'Empty <run>', createdAt: '2025-01-01T00:00:00Z', tintemVersion: '0.1.0', backend: 'wasm', config: { lr: NaN, steps: 10 },
  models: [{ id: 'teacher', role: 'teacher' }, { id: 's', role: 'student', method: 'tintem' }],
  omitted: { roc: 'no OOD sets configured' },
});

test('a header-only report omits every section with a note, escapes text and never shows NaN', async () => {
  const html = await renderHtmlReport(headerOnly());
  assert.equal((html.match(/Not available in this run/g) ?? []).length, 8);
  assert.ok(html.includes('Not available in this run: no OOD sets configured'));
  assert.ok(html.includes('<title>Empty &lt;run&gt;</title>'));
  assert.ok(!html.includes('NaN'));
  assert.ok(!/<script/i.test(html), 'no scripts');
  assert.ok(!/(src|href)="(https?:)?\/\//.test(html), 'no external references');
  const md = renderMarkdownSummary(headerOnly());
  assert.ok(md.startsWith('# Empty <run>\n'));
  assert.ok(md.includes('_Not available in this run: no OOD sets configured_'));
  assert.ok(!md.includes('NaN'));
});

test('Markdown summary: best student under the win rule in bold, CI as ±, n/a and NaN cells, AUROC and robustness tables', () => {
  const md = renderMarkdownSummary(syntheticReportData());
  const lines = md.split('\n');
  // 88.0 [86, 90] vs 86.0 [84, 88]: the intervals overlap, so it is a tie and nothing is bold.
  assert.ok(lines.includes('| kNN top-1 ↑ | 91.0% ± 2.0 | 88.0% ± 2.0 | 86.0% ± 2.0 |'));
  assert.ok(lines.includes('| linear probe ↑ | 0.930 | n/a | — |'));
  assert.ok(lines.includes('| pairwise cos MSE ↓ | — | **0.004 ± 0.001** | 0.020 ± 0.002 |'), 'lower is better, intervals apart');
  assert.ok(lines.includes('| AUROC (kNN) ↑ | 0.970 | 0.950 | 0.950 |'), 'a tie is not bold');
  assert.ok(lines.includes('| FPR@95 (kNN) ↓ | 40.0% | 96.0% ± 1.0 | 100.0% ± 0.0 |'), 'a failure is never bold');
  assert.ok(lines.includes('- **tintem** (not faithful): tintem agrees with the teacher on 95.0% of kNN predictions, with linear CKA 0.900.'), 'verdict first');
  assert.ok(md.indexOf('## Verdict') < md.indexOf('## Scorecard'));
  // AUROC of tpr = fpr^b is 1 / (b + 1), in the scorecard's percent format.
  assert.ok(lines.includes('| fashion / knn | 90.9% | 87.0% | 76.9% |'));
  assert.ok(lines.includes('| proteus | 93.0% | 87.0% | 81.0% | 75.0% | 69.0% | — |'));
  // Last logged losses: exp(-59/30), 1.2 exp(-59/25); 0.9 exp(-59/25), exp(-59/25); head_global has seeded noise.
  assert.ok(lines.some((l) => /^\| tintem \| 59 \| 0\.1\d{3} \| 0\.1399 \| 0\.1133 \|$/.test(l)), md);
  assert.ok(lines.includes('| proteus | 59 | — | 0.0850 | 0.0944 |'));
  assert.ok(!md.includes('NaN'));
});

test('HTML report: verdict first, best cells under the win rule, CI bounds in tooltips, one chart figure per plot, inline images', async () => {
  const html = await renderHtmlReport(syntheticReportData());
  assert.deepEqual([...html.matchAll(/<td class="num best"[^>]*>([^<]*)</g)].map((m) => m[1]), ['0.004 ± 0.001']);
  assert.ok(html.includes('<td class="num failed" title="95% CI [95.0%, 97.0%]; at or past chance level: a failure, never highlighted">96.0% ± 1.0</td>'));
  assert.ok(html.includes('title="95% CI [86.0%, 90.0%]">88.0% ± 2.0</td>'));
  assert.ok(html.includes('class="num skipped" title="probe disabled">n/a</td>'));
  assert.ok(!html.includes('ⓘ'), 'the info mark is drawn, not a font glyph');
  // The energy row is collapsed below the scorecard with its explanation.
  assert.match(html, /<details class="hidden-rows"><summary>1 more row: logit-based OOD scores \(energy, MSP\), 1 AUROC row below 50%<\/summary>\n<p class="caption">Energy reads the probe logits.<\/p>/);
  assert.ok(html.indexOf('id="verdict"') < html.indexOf('id="scorecard"'));
  assert.ok(html.indexOf('id="setup"') > html.indexOf('id="neighbours"'), 'models and config come last, collapsed');
  assert.ok(html.includes('-2.0 pts <span class="range">(-5.0 to +1.0)</span> <span class="outcome">● close</span>'));
  assert.ok(html.includes('<span class="answer answer-not">not faithful</span>'), 'the verdict answers its question');
  assert.ok(html.includes('style="background:rgba(201,60,60,0.14)">-5.0 pts'), 'a far gap is tinted by its size (5 of 20 points)');
  assert.equal((html.match(/<figure class="chart"/g) ?? []).length, 10);
  assert.equal((html.match(/<svg /g) ?? []).length, 10);
  assert.equal((html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 20);
  // Clip-path ids are unique across the inline SVGs.
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'raw HTML in notes is escaped');
  assert.ok(html.includes('tintem: pairwise-cosine Pearson 0.99'));
  assert.ok(!html.includes('NaN'));
});

test('flattenConfig gives dotted keys and short values', () => {
  assert.deepEqual(flattenConfig({ a: { b: 1, c: [1, 2] }, d: null, e: Array.from({ length: 40 }, (_, i) => i) }), [
    ['a.b', '1'], ['a.c', '[1,2]'], ['d', '—'], ['e', '[40 items]'],
  ]);
});

test('writeReport writes three files atomically, and `tintem report` re-renders them from report-data.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-report-write-'));
  const data = headerOnly();
  data.scorecard = { sections: [{ name: 'quality', rows: [{ metric: 'kNN', higherIsBetter: true, cells: { teacher: { value: 0.5 }, s: { value: 0.25, lo: 0.2, hi: 0.3 } } }] }] };
  const paths = await writeReport(dir, data);
  assert.deepEqual(readdirSync(dir).sort(), ['report-data.json', 'report.html', 'summary.md']);
  const saved = await readReportData(paths.json);
  assert.equal(saved.config && (saved.config as { lr: unknown }).lr, null, 'NaN saved as null');

  const out = join(dir, 'again');
  const program = new Command().exitOverride();
  register(program);
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => { written.push(chunk); return true; }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['report', '--data', paths.json, '--out', out], { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  assert.equal(written.join(''), `${join(out, 'report.html')}\n${join(out, 'summary.md')}\n${join(out, 'report-data.json')}\n`);
  assert.equal(readFileSync(join(out, 'summary.md'), 'utf8'), readFileSync(paths.markdown, 'utf8'));
  assert.equal(readFileSync(join(out, 'report.html'), 'utf8'), readFileSync(paths.html, 'utf8'));
  assert.deepEqual(readdirSync(out).sort(), ['report-data.json', 'report.html', 'summary.md'], 'no temp files left');

  const bad = new Command().exitOverride();
  register(bad);
  await assert.rejects(bad.parseAsync(['report', '--data', join(dir, 'missing.json')], { from: 'user' }), {
    name: 'UserError', message: `--data ${join(dir, 'missing.json')}: file not found`,
  });
});

test('training curves draw the held-out label-free figures (distill --monitor) at every epoch, never thinned away', async () => {
  const data = syntheticReportData();
  const points = data.curves!.tintem!;
  // Mark every 20th point as an epoch end carrying the held-out figures.
  data.curves!.tintem = points.map((p, i) => ((i + 1) % 20 === 0 ? { ...p, terms: { ...p.terms, 'held-out CKA': 0.5 + i / 200, 'held-out mutual kNN': 0.3, 'held-out RankMe': 7 } } : p));
  const html = await renderHtmlReport(data);
  const curves = html.slice(html.indexOf('data-chart="curves"'), html.indexOf('</figure>', html.indexOf('data-chart="curves"')));
  for (const panel of ['held-out CKA', 'held-out mutual kNN', 'held-out RankMe']) assert.ok(curves.includes(panel), `${panel} panel`);
  assert.match(curves, /"held-out" panels: label-free faithfulness to the teacher on training images held out of training, once an epoch/);
});
