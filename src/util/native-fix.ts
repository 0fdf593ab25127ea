/**
 * The one command that gives tintem its native TensorFlow backend when `npm ci` could not (issue 27): fetch the
 * tensorflow-cpu wheel with pip in the open (so pip's own error, a proxy or an index, is visible), then re-run the
 * native install step. scripts/install-native.mjs prints the same command when its pip download fails;
 * test/util/native-fix.test.ts checks that the two agree. (`npm rebuild` / `npm ci` fail the same way again.)
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const TF_WHEEL_VERSION = process.env.TINTEM_TF_VERSION ?? '2.21.0';

/** Where scripts/install-native.mjs looks for (and pip puts) the tensorflow-cpu wheel. */
export function wheelCacheDir(): string {
  const base = process.env.TINTEM_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tintem');
  return join(base, 'wheels');
}

/** The checkout's root (this file is src/util/ or dist/util/). */
const root = resolve(import.meta.dirname, '..', '..');

export function nativeFixCommand(): string {
  return `python3 -m pip download --no-deps -d ${wheelCacheDir()} tensorflow-cpu==${TF_WHEEL_VERSION} && node ${join(root, 'scripts', 'install-native.mjs')}`;
}
