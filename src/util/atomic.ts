import { mkdirSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { mkdir, rename, rm, writeFile, open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, basename } from 'node:path';
import { quoteName } from './quote.js';

/**
 * A failed write as an error that names the file: Node's own ENOSPC message ("no space left on device, write")
 * names none. The code is kept, so callers and the CLI still see it as a full disk / permission problem.
 */
export function fileError(path: string, e: unknown, doing = 'could not write'): Error {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string' || err.message?.startsWith(quoteName(path))) return e as Error;
  const reason = err.message.split('\n')[0]!.replace(/, (open|write|mkdir|rename|close|fsync)( .*)?$/, '');
  const hint = err.code === 'ENOTDIR' || err.code === 'EEXIST' ? ' (a file is in the way of a folder)' : err.code === 'EISDIR' ? ' (a folder is in the way)' : '';
  return Object.assign(new Error(`${quoteName(path)}: ${doing} (${reason})${hint}`, { cause: e }), { code: err.code });
}

// Random, not just pid + time: writers on several machines share one folder (a job array on NFS) and pids repeat.
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes a file so that readers see either the old or the new content, never a torn one:
 * write a temp file beside it, fsync, then rename over the target.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  try { mkdirSync(dirname(path), { recursive: true }); } catch (e) { throw fileError(dirname(path), e, 'could not create the folder'); }
  const tmp = tempPath(path);
  try {
    writeFileSync(tmp, data);
    const fd = openSync(tmp, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fileError(path, e);
  }
}

/** Async twin of {@link writeFileAtomicSync}. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  try { await mkdir(dirname(path), { recursive: true }); } catch (e) { throw fileError(dirname(path), e, 'could not create the folder'); }
  const tmp = tempPath(path);
  try {
    await writeFile(tmp, data);
    const fh = await open(tmp, 'r');
    try { await fh.sync(); } finally { await fh.close(); }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw fileError(path, e);
  }
}
