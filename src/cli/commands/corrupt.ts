/**
 * `tintem corrupt`: writes seeded ImageNet-C-style corrupted copies of a dataset (uint8 IDX files, see
 * src/robustness/store.ts) and/or a labelled contact sheet of one image under every corruption and severity.
 */
import type { Command } from 'commander';
import { dataSpecHelp } from '../../data/registry.js';
import { CORRUPTION_NAMES } from '../../robustness/params.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { intOption, parseCorruptionList, parseSeverityList } from '../options.js';
import { info } from '../../util/log.js';

interface CorruptCliOptions {
  data: string;
  out?: string;
  corruptions?: string;
  severities: string;
  seed: string;
  limit?: string;
  size?: string;
  channels?: string;
  contactSheet?: string;
  index: string;
  strict?: boolean;
}


export function register(program: Command): void {
  program
    .command('corrupt')
    .description('write seeded ImageNet-C-style corrupted copies of a dataset and/or a contact sheet')
    .requiredOption('--data <spec>', dataSpecHelp())
    .option('--out <dir>', 'write <dir>/<corruption>/<severity>/images.idx (uint8 IDX) + labels.idx + manifest.json')
    .option('--corruptions <list>', `comma-separated subset of: ${CORRUPTION_NAMES.join(', ')}`, 'all')
    .option('--severities <list>', 'comma-separated severities 1..5', '1,2,3,4,5')
    .option('--seed <n>', 'corruption seed (image i uses a seed derived from it and i)', '0')
    .option('--limit <n>', 'use only the first n images')
    .option('--size <n>', 'resize the dataset to n x n first')
    .option('--channels <c>', 'load as 1 (gray) or 3 (RGB) channels')
    .option('--contact-sheet <file.png>', 'write a PNG of one image under every corruption (rows) and severity (columns)')
    .option('--index <i>', 'which image the contact sheet shows', '0')
    .option('--strict', 'image folders: stop at the first unreadable file instead of skipping it')
    .action(async (o: CorruptCliOptions) => {
      if (!o.out && !o.contactSheet) throw new UserError('corrupt: give --out <dir>, --contact-sheet <file.png>, or both');
      if (o.contactSheet && !o.contactSheet.toLowerCase().endsWith('.png')) {
        throw new UserError(`--contact-sheet: expected a path ending in .png, got '${o.contactSheet}'`);
      }
      const corruptions = parseCorruptionList(o.corruptions);
      const severities = parseSeverityList(o.severities);
      const seed = intOption('--seed', o.seed, 0)!;
      const limit = intOption('--limit', o.limit, 1);
      const size = intOption('--size', o.size, 1);
      const channelsN = intOption('--channels', o.channels, 1, 3);
      if (channelsN === 2) throw new UserError("--channels: expected 1 or 3, got '2'");
      const index = intOption('--index', o.index, 0)!;
      const channels = channelsN as 1 | 3 | undefined;

      // The contact sheet needs only images up to --index; the dataset copy needs --limit of them.
      const want = o.out ? limit : Math.max(index + 1, limit ?? 0);
      const { loadDataset } = await import('../../data/index.js');
      const { imageAt, renderContactSheet, writeCorruptedDataset } = await import('../../robustness/index.js');
      const set = await loadDataset(o.data, { limit: want, size, channels, seed, strict: o.strict });
      if (set.count === 0) throw new UserError(`--data ${o.data}: no images loaded`);

      if (o.contactSheet) {
        if (index >= set.count) throw new UserError(`--index: ${index} is past the last image of ${set.name} (${set.count} images)`);
        const source = set.sources?.[index] ?? `${set.name}#${index}`;
        const png = await renderContactSheet(imageAt(set, index), { corruptions, severities, seed, title: `${source}  (seed ${seed})` });
        await writeFileAtomic(o.contactSheet, png);
        info(`wrote ${o.contactSheet}`);
      }
      if (o.out) {
        const total = corruptions.length * severities.length;
        let done = 0;
        const started = Date.now();
        await writeCorruptedDataset(set, o.out, {
          corruptions, severities, seed,
          onFile: (path, skipped) => {
            if (!path.endsWith('images.idx') || path.includes('/clean/') || path.includes('\\clean\\')) return;
            done++;
            info(`[${done}/${total}] ${skipped ? 'kept' : 'wrote'} ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          },
        });
        info(`wrote ${set.count} images x ${total} corruption/severity pairs to ${o.out}`);
      }
    });
}
