/** Data source `folder`: any folder of images, decoded with sharp (implementation: ../imageFolder.ts). */
import { quoteName } from '../../util/quote.js';
import { warn } from '../../util/log.js';
import type { DataSourceEntry } from '../registry.js';

/** Skipped files listed one a line in the folder summary; the rest are counted. */
const MAX_SKIPPED_SHOWN = 20;
/** Skipped-file lists already printed in this process. */
const warnedSkips = new Set<string>();

export const folderSource: DataSourceEntry = {
  name: 'folder',
  usage: 'folder:<path> (or a directory path)',
  summary: 'any folder of images (jpeg, png, webp, ...), class subfolders give labels; 64 px RGB by default',
  check: (arg) => (arg ? undefined : 'folder:<path> needs a path'),
  defaultShape: () => ({ size: 64, channels: 3 }),
  redecodable: true,
  seeded: () => false,
  normalise: (arg) => (arg ?? '').replace(/\/+$/, ''),
  doctor: async () => [{ name: 'data folder:<path>', ok: true, detail: 'any image folder (sharp)' }],
  async load(dir, opts) {
    const { loadImageFolder } = await import('../imageFolder.js');
    const result = await loadImageFolder(dir!, {
      // With a limit, a seeded random choice: sorted folders are grouped by class, so the first N would be biased.
      size: opts.size ?? 64, channels: opts.channels ?? 3, strict: opts.strict, limit: opts.limit, seed: opts.seed ?? 0,
    });
    if (result.skipped.length > 0) {
      // A summary listing every skipped file with its reason (capped, so a folder of junk stays readable).
      // Names quoted when they hold anything unusual: a newline in a file name cannot forge a line of this list.
      const shown = result.skipped.slice(0, MAX_SKIPPED_SHOWN).map((s) => `\n  ${quoteName(s.path)}: ${s.reason}`).join('');
      const more = result.skipped.length > MAX_SKIPPED_SHOWN ? `\n  ... and ${result.skipped.length - MAX_SKIPPED_SHOWN} more` : '';
      const message = `${quoteName(dir!)}: skipped ${result.skipped.length} unreadable file(s):${shown}${more}`;
      // A folder decoded twice (once for the student, once at the teacher's resolution) lists its files once.
      if (!warnedSkips.has(message)) warn(message);
      warnedSkips.add(message);
    }
    return result.set;
  },
};
