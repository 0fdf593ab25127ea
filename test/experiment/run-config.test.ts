import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunConfig } from '../../src/experiment/load-run.js';
import { UserError } from '../../src/util/errors.js';

const legacy = (extra: string) => `teacher: random:1\nmethod:\n  name: proteus\n  weights: {}\n  taus:\n    - 0.01\n    - 0.02\n    - 0.03\n    - 0.04\n    - 0.05\n    - 0.06\n    - 0.07\n    - 0.08\n    - 0.09\n    - 0.1\n  tokens: true\n  prefitHead: false\n${extra}`;

test('run config.yaml from before per-method options still loads; non-default stray options do not', () => {
  assert.deepEqual(parseRunConfig(legacy('  pcaInit: false\n'), 'old/config.yaml').method, { name: 'proteus', weights: { pooled: 1, tokens: 1 }, tokens: true });
  assert.throws(() => parseRunConfig(legacy('  pcaInit: true\n'), 'odd/config.yaml'),
    (e: unknown) => e instanceof UserError && e.message === 'odd/config.yaml: method.pcaInit: unknown key (expected one of: name, weights, tokens)');
});
