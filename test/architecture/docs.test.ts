import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configDocsMarkdown } from '../../src/cli/config-docs.js';

test('docs/config.md is the one rendered from the schema and the registries (run npm run docs)', () => {
  assert.equal(readFileSync('docs/config.md', 'utf8'), configDocsMarkdown());
});
