import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/util/errors.js';
import { parseSetting } from '../../src/config/load.js';
import { loadDistillConfig as loadConfig, toTrainConfig } from '../../src/training/config.js';

const dir = mkdtempSync(join(tmpdir(), 'tintem-config-'));
const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

/** Asserts a one-line UserError with exactly this message. */
async function rejectsWith(p: Promise<unknown>, message: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

test('config: defaults are the paper\'s loss weights and temperatures', async () => {
  const c = await loadConfig();
  assert.equal(c.method.name, 'tintem');
  assert.deepEqual(c.method.weights, { headGlobal: 1, headLocal: 1, studentPooled: 1, studentTokens: 1 });
  const taus = c.method.taus as number[];
  assert.equal(taus.length, 10);
  assert.ok(Math.abs(taus[0]! - 0.01) < 1e-12 && Math.abs(taus[9]! - 0.1) < 1e-12);
  assert.equal(c.batchSize, 128);
  assert.equal(c.views, 0);
  assert.equal(c.data.train, 'mnist:train');
  assert.equal(c.method.prefitHead, false);
  assert.deepEqual(toTrainConfig(c), {
    epochs: c.epochs, batchSize: 128, lr: c.lr, minLr: c.minLr, weightDecay: c.weightDecay, warmupEpochs: c.warmupEpochs,
    warmupSteps: undefined, seed: 0, views: 0, progress: true, stepPath: 'auto',
  });
  assert.equal(c.oneDnn, 'auto');
});

test('config: YAML and JSON files load; flags then --set override them', async () => {
  const yaml = file('a.yaml', 'teacher: mobilenet\ndata:\n  limit: 5000\nmethod:\n  weights:\n    headLocal: 0.5\nepochs: 4\n');
  const c = await loadConfig(yaml, { values: { epochs: 6, lr: undefined }, set: ['method.weights.studentTokens=0', 'augment.flip=true', 'method.taus=[0.05, 0.1]'] });
  assert.equal(c.teacher, 'mobilenet');
  assert.equal(c.data.limit, 5000);
  assert.equal(c.epochs, 6);
  assert.deepEqual(c.method.weights, { headGlobal: 1, headLocal: 0.5, studentPooled: 1, studentTokens: 0 });
  assert.deepEqual(c.method.taus, [0.05, 0.1]);
  assert.equal(c.augment.flip, true);
  const json = file('b.json', JSON.stringify({ seed: 3, views: 2 }));
  const j = await loadConfig(json);
  assert.equal(j.seed, 3);
  assert.equal(j.views, 2);
});

test('config: a wrong type names the file and key path in one line', async () => {
  const p = file('c.yaml', 'method:\n  weights:\n    headGlobal: heavy\n');
  await rejectsWith(loadConfig(p), `${p}: method.weights.headGlobal: expected number, got string`);
  const q = file('d.yaml', 'epochs: 2.5\n');
  await assert.rejects(loadConfig(q), (e: unknown) => e instanceof UserError && e.message.startsWith(`${q}: epochs: expected int`));
});

test('config: unknown keys are rejected with the keys that are allowed', async () => {
  const p = file('e.yaml', 'data:\n  limt: 10\n');
  await rejectsWith(loadConfig(p), `${p}: data.limt: unknown key (expected one of: train, limit, test)`);
  await assert.rejects(loadConfig(undefined, { set: ['learningRate=0.1'] }),
    (e: unknown) => e instanceof UserError && e.message.startsWith('command line: learningRate: unknown key (expected one of: teacher, teacherOptions, teacherGrid, data,'));
});

test('config: bad values from the command line name the key', async () => {
  await rejectsWith(loadConfig(undefined, { set: ['method.name=distill'] }),
    "command line: method.name: unknown method 'distill' (expected one of tintem, proteus, cosine, relational)");
  await rejectsWith(loadConfig(undefined, { values: { batchSize: -4 } }), 'command line: batchSize: too small: expected number to be >0, got -4');
  await rejectsWith(loadConfig(undefined, { set: ['epochs'] }), "--set 'epochs': expected key.path=value");
  await rejectsWith(loadConfig(undefined, { set: ['augment.crop=0.5'] }), 'command line: augment.crop: unexpected value 0.5');
});

test('config: unreadable or malformed files are one-line errors', async () => {
  const missing = join(dir, 'missing.yaml');
  await rejectsWith(loadConfig(missing), `${missing}: does not exist (config file)`);
  const bad = file('f.yaml', 'epochs: [1, 2\n');
  await assert.rejects(loadConfig(bad), (e: unknown) => e instanceof UserError && e.message.startsWith(`${bad}: not valid YAML: line`) && !e.message.includes('\n'));
  const list = file('g.yaml', '- 1\n- 2\n');
  await rejectsWith(loadConfig(list), `${list}: expected a mapping of config keys at the top level, got array`);
  const badJson = file('h.json', '{"epochs": }');
  await assert.rejects(loadConfig(badJson), (e: unknown) => e instanceof UserError && e.message.startsWith(`${badJson}: not valid JSON`));
});

test('parseSetting parses values as YAML scalars and lists', () => {
  assert.deepEqual(parseSetting('lr=0.001'), ['lr', 0.001]);
  assert.deepEqual(parseSetting('teacher=random:3'), ['teacher', 'random:3']);
  assert.deepEqual(parseSetting('a.b=[1,2]'), ['a.b', [1, 2]]);
  assert.deepEqual(parseSetting('x=false'), ['x', false]);
});

test('config: method options and loss weights are checked against the chosen method', async () => {
  // A typo'd loss-weight name, an option another method takes, and an option no method takes.
  await rejectsWith(loadConfig(undefined, { set: ['method.weights.headGlobl=1'] }),
    'command line: method.weights.headGlobl: unknown key (expected one of: headGlobal, headLocal, studentPooled, studentTokens)');
  await rejectsWith(loadConfig(undefined, { set: ['method.name=proteus', 'method.pcaInit=true'] }),
    'command line: method.pcaInit: unknown key (expected one of: name, weights, tokens)');
  await rejectsWith(loadConfig(undefined, { set: ['method.name=proteus', 'method.weights.headLocal=0.5'] }),
    'command line: method.weights.headLocal: unknown key (expected one of: pooled, tokens)');
  const p = file('m.yaml', 'method:\n  name: relational\n  taus: [0.1]\n');
  await rejectsWith(loadConfig(p), `${p}: method.taus: unknown key (expected one of: name, weights, tokens)`);
  const proteus = await loadConfig(undefined, { set: ['method.name=proteus'] });
  assert.deepEqual(proteus.method, { name: 'proteus', weights: { pooled: 1, tokens: 1 }, tokens: true });
});

test('config: teacher specs are checked without loading anything', async () => {
  await rejectsWith(loadConfig(undefined, { values: { teacher: 'inceptoin' } }),
    "command line: teacher: 'inceptoin': unknown teacher, expected 'inception[:<layer>]', 'mobilenet[:<layer>]', 'random[:<seed>]', 'tfjs:<model.json>[#options]' or 'onnx:<model.onnx>[#options]'");
  await rejectsWith(loadConfig(undefined, { values: { teacher: 'random:x' } }), "command line: teacher: 'random:x': random seed must be an integer");
  await assert.rejects(loadConfig(undefined, { values: { teacher: 'tfjs:' } }), (e: unknown) => e instanceof UserError && /teacher: 'tfjs:': missing model path/.test(e.message));
  assert.equal((await loadConfig(undefined, { values: { teacher: 'mobilenet:block_10_project_BN' } })).teacher, 'mobilenet:block_10_project_BN');
});
