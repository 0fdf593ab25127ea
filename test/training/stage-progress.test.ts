/** Progress with rate and ETA for long stages outside training (issue 27, item 1): robustness cells, student passes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStageProgress } from '../../src/training/progress.js';

function onTerminal<T>(isTTY: boolean, f: () => T): { value: T; text: string } {
  const desc = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  const write = process.stderr.write.bind(process.stderr);
  let text = '';
  Object.defineProperty(process.stderr, 'isTTY', { value: isTTY, configurable: true });
  process.stderr.write = ((chunk: string) => { text += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    return { value: f(), text };
  } finally {
    process.stderr.write = write;
    if (desc) Object.defineProperty(process.stderr, 'isTTY', desc); else delete (process.stderr as { isTTY?: boolean }).isTTY;
  }
}

test('a terminal gets a bar with count, rate and ETA; a log file gets nothing; short stages get nothing', () => {
  const { text } = onTerminal(true, () => { const p = createStageProgress('robustness (64 images)', 3, 'cells'); p.tick(); p.tick(); p.tick(); p.stop(); });
  assert.match(text, /robustness \(64 images\) \|[█░=\- ]*\| 3\/3 cells \| \d+(\.\d)? cells\/s \| ETA/);
  assert.equal(onTerminal(false, () => { const p = createStageProgress('x', 3, 'cells'); p.tick(3); p.stop(); }).text, '');
  assert.equal(onTerminal(true, () => { const p = createStageProgress('x', 100, 'img', { minTotal: 2000 }); p.tick(100); p.stop(); }).text, '');
});
