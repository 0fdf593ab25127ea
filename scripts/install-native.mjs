#!/usr/bin/env node
// Post-install step: give @tensorflow/tfjs-node a working native binding without internet.
// tfjs-node's own installer downloads libtensorflow, which is unreachable here; the same C API lives in the
// tensorflow-cpu wheel (pip can fetch it), so we unpack its shared libraries into tfjs-node's deps/ and
// build the binding against them. (System packages -- Fashion-MNIST, Chromium -- are install-system.mjs's job.)
// Never fails the install: without the native binding tintem runs on wasm/cpu and says so.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TF_WHEEL_VERSION = process.env.TINTEM_TF_VERSION ?? '2.21.0';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const log = (msg) => console.log(`[tintem install] ${msg}`);
const warn = (msg) => console.warn(`[tintem install] WARNING: ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error };
}

function nativeLoads() {
  const r = run(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], { cwd: root });
  return r.ok;
}

function cacheDir() {
  const base = process.env.TINTEM_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tintem');
  return join(base, 'wheels');
}

function findWheel(dir) {
  if (!existsSync(dir)) return undefined;
  const name = readdirSync(dir).find((f) => f.startsWith(`tensorflow_cpu-${TF_WHEEL_VERSION}-`) && f.endsWith('.whl'));
  return name ? join(dir, name) : undefined;
}

function obtainWheel() {
  if (process.env.TINTEM_TF_WHEEL) return process.env.TINTEM_TF_WHEEL;
  const dir = cacheDir();
  const cached = findWheel(dir);
  if (cached) return cached;
  mkdirSync(dir, { recursive: true });
  // Download into a private folder, then rename: an interrupted download never looks complete.
  const partial = join(dir, `.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  log(`fetching tensorflow-cpu==${TF_WHEEL_VERSION} wheel with pip (about 270 MB, once; cached in ${dir})`);
  const r = run('python3', ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-q', '-d', partial, `tensorflow-cpu==${TF_WHEEL_VERSION}`]);
  if (!r.ok) {
    rmSync(partial, { recursive: true, force: true });
    const why = r.error?.message ?? r.out.trim().split('\n').filter((l) => l.trim()).slice(-2).join(' | ');
    throw Object.assign(new Error(`pip could not download the tensorflow-cpu==${TF_WHEEL_VERSION} wheel: ${why || 'no output'}`), { pip: true });
  }
  const got = findWheel(partial);
  if (!got) throw new Error('pip finished but no tensorflow-cpu wheel was found');
  const dest = join(dir, got.split('/').pop());
  renameSync(got, dest);
  rmSync(partial, { recursive: true, force: true });
  return dest;
}

function extract(wheel, depsDir) {
  // python3's zipfile is always there when pip is; unzip may not be.
  const script = `
import sys, zipfile, os, shutil
whl, deps = sys.argv[1], sys.argv[2]
lib = os.path.join(deps, 'lib'); inc = os.path.join(deps, 'include')
os.makedirs(lib, exist_ok=True); os.makedirs(inc, exist_ok=True)
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n in ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'):
            dest = os.path.join(lib, os.path.basename(n))
            with z.open(n) as src, open(dest + '.tmp', 'wb') as out:
                shutil.copyfileobj(src, out, 1 << 22)
            os.replace(dest + '.tmp', dest)
        elif n.startswith('tensorflow/include/') and not n.endswith('/') and (
                n.startswith('tensorflow/include/tensorflow/c/') or n.startswith('tensorflow/include/tsl/')
                or n.startswith('tensorflow/include/xla/tsl/c/') or n.startswith('tensorflow/include/tensorflow/core/platform/')):
            dest = os.path.join(inc, n[len('tensorflow/include/'):])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with z.open(n) as src, open(dest, 'wb') as out:
                shutil.copyfileobj(src, out)
`;
  const r = run('python3', ['-c', script, wheel, depsDir]);
  if (!r.ok) throw new Error(`could not unpack ${wheel}: ${r.out.trim().split('\n').pop()}`);
  const lib = join(depsDir, 'lib');
  // The binding links -ltensorflow -ltensorflow_framework; tfjs-node's installer looks for libtensorflow.so.2.9.1.
  for (const [link, target] of [
    ['libtensorflow.so', 'libtensorflow_cc.so.2'],
    ['libtensorflow.so.2.9.1', 'libtensorflow_cc.so.2'],
    ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'],
    ['libtensorflow_framework.so.2.9.1', 'libtensorflow_framework.so.2'],
  ]) {
    const p = join(lib, link);
    try { lstatSync(p); rmSync(p); } catch { /* absent */ }
    symlinkSync(target, p);
  }
}

function buildBinding(pkgDir) {
  // A custom tf-lib entry makes tfjs-node's installer build from source instead of fetching a prebuilt addon.
  writeFileSync(join(pkgDir, 'scripts', 'custom-binary.json'), JSON.stringify({ 'tf-lib': 'file://tensorflow-cpu-wheel' }));
  const env = { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}` };
  // node-gyp must use the installed Node headers, not download them.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  const r = run(process.execPath, ['scripts/install.js'], { cwd: pkgDir, env });
  if (!r.ok || /failed with error/.test(r.out)) throw new Error(`building the tfjs-node binding failed: ${r.out.trim().split('\n').slice(-3).join(' | ')}`);
}

function setupNative() {
  if (process.env.TINTEM_SKIP_NATIVE) { warn('TINTEM_SKIP_NATIVE is set: not building the native backend'); return; }
  let pkgDir;
  try { pkgDir = dirname(require.resolve('@tensorflow/tfjs-node/package.json')); } catch {
    warn('@tensorflow/tfjs-node is not installed; tintem will use the wasm/cpu backend'); return;
  }
  if (!process.env.TINTEM_NATIVE_FORCE && nativeLoads()) { log('native TensorFlow backend: ready'); return; }
  const started = Date.now();
  try {
    const wheel = obtainWheel();
    log(`unpacking TensorFlow C libraries from ${wheel.split('/').pop()}`);
    extract(wheel, join(pkgDir, 'deps'));
    log('building the tfjs-node binding against them');
    buildBinding(pkgDir);
    if (!nativeLoads()) throw new Error('the binding was built but does not load');
    log(`native TensorFlow backend: ready (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  } catch (e) {
    loudFailure(e);
  }
}

/** The same command as src/util/native-fix.ts's nativeFixCommand() (test/util/native-fix.test.ts checks it). */
function fixCommand() {
  return `python3 -m pip download --no-deps -d ${cacheDir()} tensorflow-cpu==${TF_WHEEL_VERSION} && node ${join(root, 'scripts', 'install-native.mjs')}`;
}

/**
 * npm prints a root package's install-script output among its own lines, where two WARNING lines were missed
 * (issue 27): a framed block on stderr that says what failed, what it costs and the one command that fixes it.
 * The install itself still succeeds (tintem runs on wasm/cpu); TINTEM_SKIP_NATIVE=1 skips this step.
 */
function loudFailure(e) {
  const lines = [
    'tintem: the native TensorFlow backend was NOT installed.',
    e.message,
    ...(e.pip ? [`(tintem's install step runs pip to fetch the tensorflow-cpu wheel, about 270 MB, from PyPI or your pip index.)`] : []),
    'Without it tintem runs on the wasm/cpu backend: training is about 50x slower.',
    'Fix it with this one command (it shows pip\'s own error if pip still cannot fetch the wheel):',
    '',
    `  ${fixCommand()}`,
    '',
    'With the wheel file already at hand: TINTEM_TF_WHEEL=<path to tensorflow_cpu-*.whl> node scripts/install-native.mjs',
    'To install without the native backend and without this message: TINTEM_SKIP_NATIVE=1 npm ci',
  ];
  const bar = '='.repeat(Math.min(100, Math.max(...lines.map((l) => l.length))));
  process.stderr.write(`\n${bar}\n${lines.join('\n')}\n${bar}\n\n`);
}

setupNative();
