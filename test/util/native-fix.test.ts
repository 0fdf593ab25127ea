/**
 * The install fails loudly (issue 27, item 4): when pip cannot fetch the tensorflow-cpu wheel,
 * scripts/install-native.mjs names pip, the wheel and the one command that fixes it, and that command is the one
 * tintem's backend warning, the training refusal and `tintem doctor` give (src/util/native-fix.ts).
 * PIP_NO_INDEX=1 with no find-links makes pip fail at once, offline; TINTEM_NATIVE_FORCE skips the "binding
 * already loads" shortcut. Nothing is unpacked or built: the script stops at the failed download.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');
const cache = mkdtempSync(join(tmpdir(), 'tintem-native-fix-'));

function install(env: Record<string, string>) {
  const r = spawnSync(process.execPath, [join(repo, 'scripts', 'install-native.mjs')], {
    encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, TINTEM_CACHE_DIR: cache, TINTEM_NATIVE_FORCE: '1', PIP_NO_INDEX: '1', PIP_FIND_LINKS: '', TINTEM_TF_WHEEL: '', ...env },
  });
  assert.ifError(r.error);
  return r;
}

test('pip cannot fetch the wheel: a framed message names pip, the wheel and the fix command that tintem itself gives', async () => {
  delete process.env.TINTEM_TF_WHEEL;
  process.env.TINTEM_CACHE_DIR = cache;
  const { nativeFixCommand } = await import('../../src/util/native-fix.js');
  const r = install({});
  assert.equal(r.status, 0, 'the install itself still succeeds (tintem runs on wasm/cpu)');
  const err = r.stderr;
  assert.match(err, /={40,}\ntintem: the native TensorFlow backend was NOT installed\./);
  assert.match(err, /pip could not download the tensorflow-cpu==2\.21\.0 wheel: .*No matching distribution/);
  assert.match(err, /about 50x slower/);
  const command = `python3 -m pip download --no-deps -d ${join(cache, 'wheels')} tensorflow-cpu==2.21.0 && node ${join(repo, 'scripts', 'install-native.mjs')}`;
  assert.equal(nativeFixCommand(), command);
  assert.ok(err.includes(`\n  ${command}\n`), err);
  assert.match(err, /TINTEM_SKIP_NATIVE=1/);
  assert.doesNotMatch(err + r.stdout, /npm rebuild/);
  // No half-downloaded folder is left behind to look like a wheel cache.
  assert.deepEqual(existsSync(join(cache, 'wheels')) ? readdirSync(join(cache, 'wheels')) : [], []);
});

test('TINTEM_SKIP_NATIVE=1 opts out: one line, no pip, no frame', () => {
  const r = install({ TINTEM_SKIP_NATIVE: '1' });
  assert.equal(r.status, 0);
  assert.match(r.stderr, /TINTEM_SKIP_NATIVE is set: not building the native backend/);
  assert.doesNotMatch(r.stderr + r.stdout, /pip|={20}/);
});
