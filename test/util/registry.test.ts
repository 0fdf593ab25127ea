/** The generic registry: register / get / names / unregister, one-line lookups, programming errors on bad entries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/util/errors.js';
import { createRegistry } from '../../src/util/registry.js';

test('registry: entries in registration order, one-line unknown-name errors, duplicates and bad names refused', () => {
  const r = createRegistry<{ name: string; size: number }>('widget');
  r.register({ name: 'small', size: 1 });
  r.register({ name: 'large-2', size: 2 });
  assert.deepEqual(r.names(), ['small', 'large-2']);
  assert.equal(r.get('large-2', '--widget').size, 2);
  assert.equal(r.has('small'), true);
  assert.equal(r.has(3), false);
  assert.throws(() => r.get('medium', '--widget'), (e: unknown) => e instanceof UserError && e.message === "--widget: unknown widget 'medium' (expected one of small, large-2)");
  assert.throws(() => r.get({ a: 1 }, 'config.yaml: widget'), (e: unknown) => e instanceof UserError && e.message === 'config.yaml: widget: unknown widget \'{"a":1}\' (expected one of small, large-2)');
  assert.throws(() => r.register({ name: 'small', size: 3 }), (e: unknown) => !(e instanceof UserError) && /already registered/.test((e as Error).message));
  assert.throws(() => r.register({ name: 'Bad Name', size: 3 }), /must match/);
  r.unregister('small');
  assert.deepEqual(r.entries(), [{ name: 'large-2', size: 2 }]);
});
