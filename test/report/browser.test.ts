/**
 * End to end: render a synthetic report, open it in headless Chromium with every non-file/data request blocked,
 * and check it loads cleanly and every chart is a drawn SVG. Fails (does not skip) when Chromium is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { writeReport } from '../../src/report/index.js';
import { syntheticReportData } from './fixture.js';

const CHROMIUM = process.env.TINTEM_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('HTML report opens offline in Chromium with no errors and every chart drawn', { timeout: 60_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian 'chromium' (npm ci does as root) or set TINTEM_CHROMIUM; this test needs it`);
  const dir = mkdtempSync(join(tmpdir(), 'tintem-report-e2e-'));
  const paths = await writeReport(dir, syntheticReportData());

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [];
    const blocked: string[] = [];
    const failed: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('requestfailed', (r) => failed.push(`${r.url().slice(0, 80)} (${r.failure()?.errorText})`));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file://') || url.startsWith('data:')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(paths.html).href, { waitUntil: 'load' });

    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => ({
        kind: f.getAttribute('data-chart') ?? '',
        svgs: f.querySelectorAll('svg').length,
        marks: f.querySelectorAll('svg path, svg circle, svg rect, svg line').length,
        width: f.getBoundingClientRect().width,
      })),
    );
    const images = await page.$$eval('img', (imgs) => imgs.map((i) => ({ ok: (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0 })));
    const text = await page.evaluate(() => document.body.innerText);
    const best = await page.$$eval('.scorecard td.best', (tds) => tds.map((t) => t.textContent));
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });

    assert.deepEqual(consoleErrors, [], 'console errors');
    assert.deepEqual(blocked, [], 'network requests outside file:// and data:');
    assert.deepEqual(failed, [], 'failed requests');
    // 1 curves + 2 ROC + 2 robustness + 2 similarity + 3 maps.
    assert.equal(charts.length, 10, `charts: ${charts.map((c) => c.kind).join(', ')}`);
    for (const c of charts) {
      assert.equal(c.svgs >= 1, true, `${c.kind}: no SVG`);
      assert.ok(c.marks > 10, `${c.kind}: only ${c.marks} SVG marks`);
      assert.ok(c.width > 100, `${c.kind}: rendered ${c.width}px wide`);
    }
    // 2 queries x (1 query + 3 models x 3 neighbours) images, all decoded.
    assert.equal(images.length, 2 * (1 + 9));
    assert.ok(images.every((i) => i.ok), 'every thumbnail decodes');
    assert.deepEqual(best, ['0.004 ± 0.001'], 'only the win-rule winner is highlighted');
    assert.ok(!/NaN|undefined/.test(text), 'no NaN or undefined shown');
    assert.ok(text.includes('Where TinTeM wins'));
    assert.ok(text.includes('<script>alert(1)</script>'), 'raw HTML in notes is shown as text');
    assert.ok(statSync(shot).size > 20_000, 'screenshot written');
    process.stderr.write(`report screenshot: ${shot}\n`);
  } finally {
    await browser.close();
  }
});

test('the first screen (1400x900) shows every student\'s verdict; no failing figure is highlighted; one student, no highlight', { timeout: 60_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian 'chromium' (npm ci does as root) or set TINTEM_CHROMIUM; this test needs it`);
  const dir = mkdtempSync(join(tmpdir(), 'tintem-report-verdict-'));
  const data = syntheticReportData();
  const two = await writeReport(join(dir, 'two'), data);
  // The same report with one student: nothing to be "best" against.
  const one = await writeReport(join(dir, 'one'), {
    ...data,
    models: data.models.filter((m) => m.id !== 'proteus'),
    scorecard: { sections: data.scorecard!.sections.map((s) => ({ ...s, rows: s.rows.map((r) => ({ ...r, cells: Object.fromEntries(Object.entries(r.cells).filter(([id]) => id !== 'proteus')) })) })) },
    roc: data.roc!.map((r) => ({ ...r, models: Object.fromEntries(Object.entries(r.models).filter(([id]) => id !== 'proteus')) })),
    robustness: { corruptions: data.robustness!.corruptions.map((c) => ({ ...c, models: Object.fromEntries(Object.entries(c.models).filter(([id]) => id !== 'proteus')) })) },
    similarity: data.similarity!.filter((s) => s.model !== 'proteus'),
    maps: { ...data.maps!, models: data.maps!.models.filter((m) => m.model !== 'proteus') },
    neighbours: { ...data.neighbours!, queries: data.neighbours!.queries.map((q) => ({ ...q, neighbours: Object.fromEntries(Object.entries(q.neighbours).filter(([id]) => id !== 'proteus')) })) },
    verdict: { ...data.verdict!, students: data.verdict!.students.filter((s) => s.model !== 'proteus') },
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(two.html).href, { waitUntil: 'load' });
    const firstScreen = await page.evaluate(() => ({
      verdicts: [...document.querySelectorAll('article.verdict')].map((a) => {
        const r = a.getBoundingClientRect();
        return { model: a.getAttribute('data-model'), top: r.top, bottom: r.bottom, text: (a as HTMLElement).innerText };
      }),
      setupOpen: (document.querySelector('details.setup') as HTMLDetailsElement | null)?.open,
      setupTop: document.querySelector('#setup')?.getBoundingClientRect().top ?? 0,
      best: [...document.querySelectorAll('td.best')].map((t) => ({ text: t.textContent, failed: t.classList.contains('failed') })),
      failed: [...document.querySelectorAll('td.failed')].map((t) => ({ text: t.textContent, best: t.classList.contains('best') })),
      hiddenVisible: [...document.querySelectorAll('table.scorecard.more')].some((t) => t.checkVisibility()),
      notes: [...document.querySelectorAll('.note')].map((n) => { const r = n.getBoundingClientRect(); return { w: r.width, h: r.height, text: n.textContent }; }),
    }));
    await page.screenshot({ path: join(dir, 'first-screen.png') });
    assert.deepEqual(firstScreen.verdicts.map((v) => v.model), ['tintem', 'proteus']);
    for (const v of firstScreen.verdicts) {
      assert.ok(v.top >= 0 && v.bottom <= 900, `${v.model}'s verdict is on the first screen (${v.top}..${v.bottom} px)`);
      assert.match(v.text, new RegExp(`${v.model} agrees with the teacher on`));
      assert.match(v.text, /kNN agreement with the teacher/);
    }
    assert.match(firstScreen.verdicts[1]!.text, /Linear CKA to the teacher\s+n\/a/, "a missing figure reads n/a");
    assert.equal(firstScreen.setupOpen, false, 'config is collapsed');
    assert.ok(firstScreen.setupTop > 900, 'config is below the first screen');
    assert.deepEqual(firstScreen.best, [{ text: '0.004 ± 0.001', failed: false }]);
    // FPR 96% and 100% (past 95%, chance) and the energy AUROCs below 50% are failures; none is highlighted.
    assert.deepEqual(firstScreen.failed.map((f) => f.text), ['96.0% ± 1.0', '100.0% ± 0.0', '30.0%', '2.0%', '20.0%']);
    assert.ok(firstScreen.failed.every((f) => !f.best), 'no failing figure is highlighted');
    assert.equal(firstScreen.hiddenVisible, false, 'energy/MSP rows are collapsed by default');
    for (const n of firstScreen.notes) assert.ok(n.text === 'i' && n.w >= 12 && n.w <= 18 && n.h >= 12, `info mark drawn as a circle: ${JSON.stringify(n)}`);

    await page.goto(pathToFileURL(one.html).href, { waitUntil: 'load' });
    const single = await page.evaluate(() => ({
      best: document.querySelectorAll('td.best').length,
      verdicts: [...document.querySelectorAll('article.verdict')].map((a) => a.getBoundingClientRect().bottom),
    }));
    assert.equal(single.best, 0, 'a one-student report highlights nothing');
    assert.equal(single.verdicts.length, 1);
    assert.ok(single.verdicts[0]! <= 900);
    process.stderr.write(`first-screen screenshot: ${join(dir, 'first-screen.png')}\n`);
  } finally {
    await browser.close();
  }
});
