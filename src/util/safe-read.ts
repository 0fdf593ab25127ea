/**
 * Reading files named by something tintem did not write itself (a model.json's weight paths, a --config, a
 * teacher spec): only regular files (never a FIFO, /dev/zero or a directory), optionally confined to a folder
 * after resolving symlinks, and with a size cap checked before a byte is read.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, constants } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UserError } from './errors.js';
import { quoteName } from './quote.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export interface SafeReadOptions {
  /** What the file is, for messages: 'tfjs teacher weight file'. */
  what: string;
  /** Refuse files larger than this many bytes (checked with fstat before reading). */
  maxBytes: number;
  /** The real path must lie inside this folder (symlinks resolved). */
  within?: string;
}

/** True when `path` (already real) lies inside `root` (already real). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function realOrFail(path: string, what: string): string {
  try {
    return realpathSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${quoteName(path)}: ${code === 'ENOENT' ? 'does not exist' : `cannot open (${code})`} (${what})`);
  }
}

/** Reads a whole regular file with the checks above; every failure is a one-line UserError naming the file. */
export function readFileChecked(path: string, opts: SafeReadOptions): Buffer {
  const real = realOrFail(path, opts.what);
  if (opts.within !== undefined) {
    const root = realOrFail(opts.within, opts.what);
    if (!isInside(root, real)) throw new UserError(`${quoteName(path)}: ${opts.what} must stay inside ${quoteName(root)} (resolves to ${quoteName(real)})`);
  }
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer before we can look at what it is.
    fd = openSync(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new UserError(`${quoteName(path)}: cannot open (${(e as NodeJS.ErrnoException).code}) (${opts.what})`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new UserError(`${quoteName(path)}: not a regular file (${opts.what})`);
    if (info.size > opts.maxBytes) {
      throw new UserError(`${quoteName(path)}: ${info.size} bytes is more than the ${opts.maxBytes}-byte limit for a ${opts.what}`);
    }
    const buf = Buffer.allocUnsafe(info.size);
    let at = 0;
    while (at < info.size) {
      const n = readSync(fd, buf, at, info.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === info.size ? buf : buf.subarray(0, at);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${quoteName(path)}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}) (${opts.what})`);
  } finally {
    closeSync(fd);
  }
}

/** resolve(dir, name) checked to stay inside dir lexically (before the file exists). */
export function joinInside(dir: string, name: string, what: string): string {
  const full = resolve(dir, name);
  if (isAbsolute(name) || !isInside(resolve(dir), full)) throw new UserError(`${quoteName(name)}: ${what} must stay inside ${quoteName(resolve(dir))}`);
  return full;
}
