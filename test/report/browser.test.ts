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
    assert.deepEqual(best, ['88.0% ± 2.0', '0.004 ± 0.001', '0.950', '0.950']);
    assert.ok(!/NaN|undefined/.test(text), 'no NaN or undefined shown');
    assert.ok(text.includes('Where TinTeM wins'));
    assert.ok(text.includes('<script>alert(1)</script>'), 'raw HTML in notes is shown as text');
    assert.ok(statSync(shot).size > 20_000, 'screenshot written');
    process.stderr.write(`report screenshot: ${shot}\n`);
  } finally {
    await browser.close();
  }
});
