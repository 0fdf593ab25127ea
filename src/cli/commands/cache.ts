/**
 * `tintem cache verify | stats | merge`: check a teacher cache (every shard file's checksum, the manifests of
 * sharded fills, coverage of what a distill run needs), summarise it, and merge caches filled in separate folders.
 */
import type { Command } from 'commander';
import type { DistillFlags } from './distill.js';

interface VerifyFlags {
  config?: string;
  teacher?: string;
  data?: string;
  limit?: string;
  views?: string;
  seed?: string;
  fp16?: boolean;
  set: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  const cache = program.command('cache').description('verify, summarise or merge teacher-embedding caches (e.g. filled by a job array)');

  cache
    .command('verify <dir>')
    .description('check every shard file (checksum, content address) and manifest; with a dataset, also that every entry distill needs is there')
    .option('-c, --config <file>', 'distill config: check coverage of the entries that run needs')
    .option('--teacher <spec>', 'coverage: teacher (as distill --teacher)')
    .option('--data <spec>', 'coverage: training images (as distill --data)')
    .option('--limit <n>', 'coverage: only the first n images')
    .option('--views <n>', 'coverage: augmented views besides the original (as distill --views)')
    .option('--seed <n>', "coverage: the run's seed (it seeds the views)")
    .option('--fp16', 'coverage: the cache was filled with --fp16')
    .option('--set <key=value>', 'coverage: any distill config key (repeatable)', collect, [])
    .option('--json', 'print the full report as JSON')
    .action(async (dir: string, f: VerifyFlags) => {
      const { verifyCache, formatVerify } = await import('../../cache/maintenance.js');
      const wantsCoverage = Boolean(f.config || f.teacher || f.data || f.limit || f.views || f.set.length > 0);
      let plan: Awaited<ReturnType<typeof import('../../experiment/cache-plan.js')['distillCachePlan']>> | undefined;
      if (wantsCoverage) {
        const { resolveDistillConfig } = await import('./distill.js');
        const { intOption } = await import('../options.js');
        const { distillCachePlan } = await import('../../experiment/cache-plan.js');
        const { initBackend } = await import('../../backend/index.js');
        await initBackend(); // the plan builds the student to learn its token grid
        const flags: DistillFlags = {
          config: f.config, teacher: f.teacher, data: f.data, limit: intOption('--limit', f.limit, 1), views: intOption('--views', f.views, 0),
          seed: intOption('--seed', f.seed, -(2 ** 31)), fp16: f.fp16, set: f.set, progress: false, cacheDir: dir,
        };
        plan = await distillCachePlan(await resolveDistillConfig(flags));
      }
      try {
        const report = await verifyCache(dir, plan);
        process.stdout.write(f.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatVerify(report)}\n`);
        if (!report.ok) process.exitCode = 1;
      } finally {
        plan?.teacher.dispose();
      }
    });

  cache
    .command('stats <dir>')
    .description('files, entries, bytes, layouts and manifests per teacher (headers only: quick)')
    .option('--json', 'print as JSON')
    .action(async (dir: string, f: { json?: boolean }) => {
      const { cacheStats } = await import('../../cache/maintenance.js');
      const stats = await cacheStats(dir);
      if (f.json) { process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`); return; }
      const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
      const lines = stats.map((s) => [
        `${s.folder}`,
        `  teacher   ${s.teacherId || '(no readable shard)'}`,
        `  files     ${s.files} shard files, ${mb(s.bytes)}${s.unreadable ? `, ${s.unreadable} unreadable` : ''}${s.tempFiles ? `, ${s.tempFiles} temp files left by killed writers (safe to delete)` : ''}`,
        `  entries   ${s.entries} stored, ${s.uniqueEntries} distinct`,
        `  layout    dim ${s.dims.join('/') || '-'}, tokens ${s.tokenCounts.join('/') || '-'}, ${s.dtypes.join('/') || '-'}`,
        `  passes    ${s.manifests} manifests of ${s.plans} plan(s)`,
      ].join('\n'));
      process.stdout.write(`${lines.length ? lines.join('\n') : `${dir}: no teacher folders`}\n`);
    });

  cache
    .command('merge <dirs...>')
    .description('copy the shard files and manifests of several caches into one, after checking them all as verify does (any problem: nothing is copied)')
    .requiredOption('--into <dir>', 'the cache to merge into (created if absent)')
    .action(async (dirs: string[], f: { into: string }) => {
      const { mergeCaches } = await import('../../cache/maintenance.js');
      const r = await mergeCaches(dirs, f.into);
      process.stdout.write(`merged ${dirs.length} cache(s) into ${f.into}: ${r.copied} shard files copied, ${r.present} already there`
        + `${r.differing ? ` (${r.differing} with other values: kept the existing)` : ''}, ${r.manifests} manifests\n`);
    });
}
