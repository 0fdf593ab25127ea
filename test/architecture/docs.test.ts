import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configDocsMarkdown } from '../../src/cli/config-docs.js';

test('docs/config.md is the one rendered from the schema and the registries (run npm run docs)', () => {
  assert.equal(readFileSync('docs/config.md', 'utf8'), configDocsMarkdown());
});

test('every config key, method option and loss weight has a description (for --help and docs/config.md)', async () => {
  const { baseConfigRows, methodConfigRows } = await import('../../src/config/describe.js');
  const { methodNames } = await import('../../src/methods/registry.js');
  const { distillRegistries } = await import('../../src/training/config.js');
  const rows = [...baseConfigRows(distillRegistries), ...methodNames().flatMap((m) => methodConfigRows(distillRegistries, m))];
  assert.ok(rows.length > 30);
  assert.deepEqual(rows.filter((r) => !r.help).map((r) => r.key), []);
});
