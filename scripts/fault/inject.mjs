/**
 * Test-only fault injection for the reliability suite (test/reliability). Preloaded into a `tintem` child process
 * with NODE_OPTIONS="--import <abs path>/scripts/fault/inject.mjs"; it does nothing unless TINTEM_FAULT is set,
 * and tintem's own code knows nothing about it: it wraps node:fs functions, then syncs the ESM named exports so
 * `import { rename } from 'node:fs/promises'` in the sources sees the wrapper.
 *
 *   TINTEM_FAULT=<mode>:<path part>:<n>     fires on the n-th call (1-based, in this process) whose path contains <path part>
 *
 * Modes (matched against the destination path):
 *   kill-before-rename  SIGKILL just before renaming a fully written temp file onto the target (e.g. checkpoint.bin, .ttc)
 *   kill-after-rename   SIGKILL right after that rename
 *   kill-mid-write      a file being written (fs/promises open(.., 'w') + writeFile, or writeFile; e.g. checkpoint.bin.partial,
 *                       or '.tmp' for the temp files of writeFileAtomic) gets half its bytes, then SIGKILL
 *   enospc-mid-write    same half write, then the write fails with ENOSPC (a full disk)
 *   kill-after-append   SIGKILL after the n-th appendFileSync to the file (e.g. train.jsonl: after step n)
 *   enospc-append       the n-th appendFileSync to the file fails with ENOSPC (a full disk), writing nothing
 *
 * A kill prints nothing: SIGKILL cannot be caught, exactly like the OOM killer or a power cut.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const spec = process.env.TINTEM_FAULT;
if (spec) {
  const m = /^(kill-before-rename|kill-after-rename|kill-mid-write|enospc-mid-write|kill-after-append|enospc-append):(.+):(\d+)$/.exec(spec);
  if (!m) {
    process.stderr.write(`inject.mjs: bad TINTEM_FAULT '${spec}' (expected <mode>:<path part>:<n>)\n`);
    process.exit(99);
  }
  const [, mode, needle, nth] = m;
  const target = Number(nth);
  let seen = 0;
  /** True on the n-th call that touches a matching path. */
  const fires = (path) => String(path).includes(needle) && ++seen === target;
  const die = () => process.kill(process.pid, 'SIGKILL');
  // What node's own fs gives on a full disk (the message names no file).
  const diskFull = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

  if (mode === 'kill-before-rename' || mode === 'kill-after-rename') {
    const rename = fsp.rename;
    fsp.rename = async (from, to) => {
      const hit = fires(to);
      if (hit && mode === 'kill-before-rename') die();
      await rename(from, to);
      if (hit) die();
    };
    const renameSync = fs.renameSync;
    fs.renameSync = (from, to) => {
      const hit = fires(to);
      if (hit && mode === 'kill-before-rename') die();
      renameSync(from, to);
      if (hit) die();
    };
  } else if (mode === 'kill-mid-write' || mode === 'enospc-mid-write') {
    const open = fsp.open;
    fsp.open = async (path, flags, ...rest) => {
      const fh = await open(path, flags, ...rest);
      if (typeof flags === 'string' && flags.startsWith('w') && fires(path)) {
        fh.writeFile = async (data) => {
          const bytes = typeof data === 'string' ? Buffer.from(data) : data;
          await fh.write(bytes, 0, Math.floor(bytes.length / 2));
          await fh.sync();
          if (mode === 'kill-mid-write') die();
          throw diskFull();
        };
      }
      return fh;
    };
    const writeFile = fsp.writeFile;
    fsp.writeFile = async (path, data, ...rest) => {
      if (!fires(path)) return writeFile(path, data, ...rest);
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
      if (mode === 'kill-mid-write') die();
      throw diskFull();
    };
  } else if (mode === 'kill-after-append') {
    const appendFileSync = fs.appendFileSync;
    fs.appendFileSync = (path, ...rest) => {
      appendFileSync(path, ...rest);
      if (fires(path)) die();
    };
  } else if (mode === 'enospc-append') {
    const appendFileSync = fs.appendFileSync;
    fs.appendFileSync = (path, ...rest) => {
      if (fires(path)) throw diskFull();
      appendFileSync(path, ...rest);
    };
  }
  syncBuiltinESMExports();
}
