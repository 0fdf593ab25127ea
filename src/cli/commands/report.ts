import type { Command } from 'commander';
import { dirname, resolve } from 'node:path';

/** `tintem report --data <report-data.json> [--out <dir>]`: re-renders a report from saved data. */
export function register(program: Command): void {
  program
    .command('report')
    .description('re-render report.html and summary.md from a saved report-data.json')
    .requiredOption('--data <file>', 'report-data.json written by `tintem demo` (or writeReport)')
    .option('--out <dir>', 'output folder (default: the folder of --data)')
    .action(async (opts: { data: string; out?: string }) => {
      const { readReportData } = await import('../../report/read.js');
      const { writeReport } = await import('../../report/write.js');
      const data = await readReportData(opts.data, `--data ${opts.data}`);
      const out = resolve(opts.out ?? dirname(opts.data));
      const written = await writeReport(out, data);
      process.stdout.write(`${written.html}\n${written.markdown}\n${written.json}\n`);
    });
}
