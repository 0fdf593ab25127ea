#!/usr/bin/env node
// Post-install step: the system packages tintem's demo and test suite need, from Debian's archive:
//   dataset-fashion-mnist  Fashion-MNIST (the demo's near-OOD set; tests read it)
//   chromium               headless browser for the report and web-page tests (only in a checkout: a project that
//                          depends on tintem runs no tintem tests)
// Installs them with apt-get when we are root or have password-less sudo; otherwise says exactly what is missing,
// what fails without it and the command that fixes it. Never fails the install itself.
// TINTEM_SKIP_APT=1 skips apt-get (the warnings still print).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => console.log(`[tintem install] ${msg}`);
const warn = (msg) => console.warn(`[tintem install] WARNING: ${msg}`);

/** Where the tests and the loaders look (the same environment overrides they honour). */
const chromiumPath = () => process.env.TINTEM_CHROMIUM || '/usr/bin/chromium';
const fashionDir = () => process.env.TINTEM_FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';

/** Installed as a dependency of another project (node_modules/tintem), not a checkout of tintem itself. */
const asDependency = root.split(/[\\/]/).includes('node_modules');

const wanted = [
  {
    pkg: 'dataset-fashion-mnist',
    present: () => existsSync(resolve(fashionDir(), 'train-images-idx3-ubyte.gz')),
    without: "`tintem demo`'s Fashion-MNIST OOD set and the tests that read it fail",
  },
  {
    pkg: 'chromium',
    present: () => existsSync(chromiumPath()),
    without: `the browser tests in \`npm test\` fail (they look for ${chromiumPath()}; TINTEM_CHROMIUM=<path> points them at another Chromium)`,
    devOnly: true,
  },
];

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** How to run apt-get here: directly as root, through password-less sudo, or not at all (with the reason). */
function aptRunner() {
  if (process.env.TINTEM_SKIP_APT) return { reason: 'TINTEM_SKIP_APT is set' };
  if (!existsSync('/usr/bin/apt-get')) return { reason: 'this is not a Debian/Ubuntu system (no apt-get)' };
  if (process.getuid?.() === 0) return { prefix: [] };
  if (run('sudo', ['-n', 'true']).ok) return { prefix: ['sudo', '-n'] };
  return { reason: 'the install is neither root nor allowed password-less sudo' };
}

function aptInstall(prefix, pkgs) {
  // Wait for another apt/dpkg instead of failing on its lock; refresh the package lists only when needed.
  const install = () => {
    const [cmd, ...rest] = [...prefix, 'apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-qq', ...pkgs];
    return run(cmd, rest);
  };
  let r = install();
  if (!r.ok) {
    const [cmd, ...rest] = [...prefix, 'apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update', '-qq'];
    run(cmd, rest);
    r = install();
  }
  return r;
}

function main() {
  const missing = wanted.filter((w) => !(w.devOnly && asDependency) && !w.present());
  if (missing.length === 0) return;
  const names = missing.map((w) => w.pkg);
  const apt = aptRunner();
  if (apt.prefix) {
    log(`installing Debian package(s) ${names.join(' ')} with ${apt.prefix.length ? 'sudo ' : ''}apt-get`);
    const r = aptInstall(apt.prefix, names);
    if (!r.ok) warn(`apt-get install ${names.join(' ')} failed: ${r.out.split('\n').slice(-2).join(' | ')}`);
  }
  for (const w of missing) {
    if (w.present()) { log(`${w.pkg}: installed`); continue; }
    warn(`${w.pkg} is not installed${apt.reason ? ` (not installed automatically: ${apt.reason})` : ''}; until it is, ${w.without}.`);
    warn(`  fix: sudo apt-get install ${w.pkg}`);
  }
}

main();
