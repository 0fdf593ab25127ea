/**
 * The one way tintem reads a file (its own and the ones it is pointed at: cache shards and manifests, run-folder
 * files, configs, model files): only regular files (never a FIFO, /dev/zero or a directory), opened non-blocking
 * so a FIFO is seen for what it is before anything waits on it (a blocked read holds a libuv thread that no
 * signal frees), optionally confined to a folder after resolving symlinks, and with a size cap, from the file's
 * format, checked with fstat before a byte is read. Never more than the cap is read, even if the file grows.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
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

/**
 * A file that could not be read as asked: a UserError naming the file, with `reason` (the message without the
 * path, e.g. 'not a regular file') for callers that report it their own way (a cache shard that is skipped).
 */
export class FileReadError extends UserError {
  constructor(readonly path: string, readonly reason: string, what: string | undefined, readonly code?: string) {
    super(`${quoteName(path)}: ${reason}${what === undefined ? '' : ` (${what})`}`);
  }
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function openError(path: string, e: unknown, what: string): FileReadError {
  const code = (e as NodeJS.ErrnoException).code;
  return new FileReadError(path, code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'not a regular file (a folder)' : `cannot open (${code ?? (e as Error).message})`, what, code);
}

function kindOf(info: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a named pipe';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a file';
}

function checkInfo(path: string, info: { size: number; isFile(): boolean } & Parameters<typeof kindOf>[0], what: string, maxBytes: number): void {
  if (!info.isFile()) throw new FileReadError(path, `not a regular file (${kindOf(info)})`, what);
  if (info.size > maxBytes) throw new FileReadError(path, `${info.size} bytes is more than the ${maxBytes}-byte limit for a ${what}`, undefined);
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

/** Reads a whole regular file with the checks above; every failure is a one-line {@link FileReadError} naming the file. */
export function readFileChecked(path: string, opts: SafeReadOptions): Buffer {
  return readHeadChecked(path, opts, Number.POSITIVE_INFINITY);
}

/** The file as text (utf-8), read as {@link readFileChecked}. */
export function readTextChecked(path: string, opts: SafeReadOptions): string {
  return readFileChecked(path, opts).toString('utf8');
}

/** The first `bytes` bytes (fewer when the file is shorter) of a regular file, checked as {@link readFileChecked}. */
export function readHeadChecked(path: string, opts: SafeReadOptions, bytes: number): Buffer {
  let target = path;
  if (opts.within !== undefined) {
    const real = realOrFail(path, opts.what);
    const root = realOrFail(opts.within, opts.what);
    if (!isInside(root, real)) throw new UserError(`${quoteName(path)}: ${opts.what} must stay inside ${quoteName(root)} (resolves to ${quoteName(real)})`);
    target = real;
  }
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer before we can look at what it is.
    fd = openSync(target, OPEN_FLAGS);
  } catch (e) {
    throw openError(path, e, opts.what);
  }
  try {
    const info = fstatSync(fd);
    checkInfo(path, info, opts.what, opts.maxBytes);
    const want = Math.min(info.size, bytes);
    const buf = Buffer.allocUnsafe(want);
    let at = 0;
    while (at < want) {
      const n = readSync(fd, buf, at, want - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === want ? buf : buf.subarray(0, at);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new FileReadError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, opts.what);
  } finally {
    closeSync(fd);
  }
}

/**
 * Async twin of {@link readHeadChecked} (the event loop keeps running while a large file is read, so a stop
 * signal is answered); `bytes` defaults to the whole file.
 */
export async function readFileCheckedAsync(path: string, opts: Omit<SafeReadOptions, 'within'>, bytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const { fh, size } = await openRegular(path, opts);
  try {
    return await readExactly(fh, 0, Math.min(size, bytes));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new FileReadError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, opts.what);
  } finally {
    await fh.close();
  }
}

/**
 * Opens a regular file for reading, checked as {@link readFileCheckedAsync}, for a reader that takes the file in
 * parts (a header first, then what it says); read with {@link readExactly}. The caller closes the handle.
 */
export async function openRegular(path: string, opts: Omit<SafeReadOptions, 'within'>): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (e) {
    throw openError(path, e, opts.what);
  }
  try {
    const info = await fh.stat();
    checkInfo(path, info, opts.what, opts.maxBytes);
    return { fh, size: info.size };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** Up to `length` bytes at `position` (fewer only at the end of the file). */
export async function readExactly(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let at = 0;
  while (at < length) {
    const { bytesRead } = await fh.read(buf, at, Math.min(length - at, 64 * MiB), position + at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  return at === length ? buf : buf.subarray(0, at);
}

/** The file as text (utf-8), read as {@link readFileCheckedAsync}. */
export async function readTextCheckedAsync(path: string, opts: Omit<SafeReadOptions, 'within'>): Promise<string> {
  return (await readFileCheckedAsync(path, opts)).toString('utf8');
}

/** resolve(dir, name) checked to stay inside dir lexically (before the file exists). */
export function joinInside(dir: string, name: string, what: string): string {
  const full = resolve(dir, name);
  if (isAbsolute(name) || !isInside(resolve(dir), full)) throw new UserError(`${quoteName(name)}: ${what} must stay inside ${quoteName(resolve(dir))}`);
  return full;
}
