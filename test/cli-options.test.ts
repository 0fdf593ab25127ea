import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intOption, parseCorruptionList, parseSeverityList } from '../src/cli/options.js';

test('intOption: accepts integers in range, names the option otherwise', () => {
  assert.equal(intOption('--n', '7', 1), 7);
  assert.equal(intOption('--n', undefined, 1), undefined);
  assert.throws(() => intOption('--n', '0', 1), /^Error: --n: expected an integer >= 1, got '0'$|--n: expected an integer >= 1, got '0'/);
  assert.throws(() => intOption('--c', '4', 1, 3), /--c: expected an integer from 1 to 3, got '4'/);
  assert.throws(() => intOption('--n', '2.5', 0), /--n/);
  assert.throws(() => intOption('--n', '', 0), /--n/);
});

test('severity and corruption lists', () => {
  assert.deepEqual(parseSeverityList('5, 1,3,1'), [1, 3, 5]);
  assert.throws(() => parseSeverityList('0,2'), /--severities: expected an integer from 1 to 5, got '0'/);
  assert.deepEqual(parseCorruptionList('contrast,gaussian_noise,contrast'), ['contrast', 'gaussian_noise']);
  assert.ok(parseCorruptionList('all').length >= 12);
  assert.throws(() => parseCorruptionList('frostt'), /--corruptions: unknown corruption 'frostt'/);
});
