/**
 * docs/scale-out.md's templates are real: the SLURM scripts pass `bash -n`, the Kubernetes manifests are valid
 * YAML with a consistent Indexed Job, and the SLURM scripts run here as written, with a fake array index
 * (3 concurrent array tasks, then the training job) on a tiny dataset with the `random` teacher.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO, tempDir } from '../reliability/helpers.js';

const doc = readFileSync(join(REPO, 'docs', 'scale-out.md'), 'utf8');
/** Fenced bash/yaml blocks that name their file with a `# file: <name>` line. */
const files = new Map<string, { lang: string; text: string }>();
for (const m of doc.matchAll(/```(bash|yaml)\n([\s\S]*?)```/g)) {
  const name = /^# file: (\S+)$/m.exec(m[2]!)?.[1];
  if (name) files.set(name, { lang: m[1]!, text: m[2]! });
}
const root = tempDir('scale-out');

test('the doc holds the SLURM scripts and Kubernetes manifests, all syntactically valid', () => {
  assert.deepEqual([...files.keys()].sort(), ['submit.sh', 'tintem-shards.sbatch', 'tintem-shards.yaml', 'tintem-train.sbatch', 'tintem-train.yaml']);
  for (const [name, f] of files) {
    if (f.lang !== 'bash') continue;
    const path = join(root, name);
    writeFileSync(path, f.text);
    const r = spawnSync('bash', ['-n', path], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  }
  const parse = (name: string) => {
    const docs = parseAllDocuments(files.get(name)!.text);
    for (const d of docs) assert.deepEqual(d.errors, [], `${name}: ${d.errors.join('; ')}`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary Kubernetes YAML, read field by field below
    return docs.map((d) => d.toJS() as Record<string, any>);
  };
  const shards = parse('tintem-shards.yaml');
  assert.deepEqual(shards.map((d) => d.kind), ['PersistentVolumeClaim', 'Job']);
  assert.deepEqual(shards[0]!.spec.accessModes, ['ReadWriteMany'], 'shared volume for many writers');
  const job = shards[1]!.spec;
  assert.equal(job.completionMode, 'Indexed');
  const container = job.template.spec.containers[0];
  const count = container.env.find((e: { name: string }) => e.name === 'TINTEM_SHARD_COUNT')?.value;
  assert.equal(Number(count), job.completions, 'TINTEM_SHARD_COUNT equals completions');
  assert.ok(job.parallelism <= job.completions);
  assert.deepEqual(container.command.slice(0, 2), ['tintem', 'distill']);
  for (const flag of ['--embed-only', '--shard', 'auto']) assert.ok(container.command.includes(flag), flag);
  const train = parse('tintem-train.yaml');
  assert.deepEqual(train.map((d) => d.kind), ['Job']);
  const script = train[0]!.spec.template.spec.containers[0].args.join(' ') as string;
  assert.match(script, /tintem cache verify .* && .*tintem distill .*--cache-only/);
  assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0, 'the training command is valid sh');
  // The claim names the PVC the Jobs mount.
  assert.equal(job.template.spec.volumes[0].persistentVolumeClaim.claimName, shards[0]!.metadata.name);
});

function bash(path: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('the SLURM scripts run as written: 3 array tasks at once, then training from the cache alone', async () => {
  // `tintem` on PATH runs this checkout's sources.
  const bin = join(root, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'tintem'), `#!/bin/sh\nexec "${process.execPath}" "${join(REPO, 'bin', 'tintem.js')}" "$@"\n`);
  chmodSync(join(bin, 'tintem'), 0o755);
  const config = join(root, 'distill.yaml');
  writeFileSync(config, [
    'teacher: random:1', 'data:', '  train: noise:48', 'views: 1', 'epochs: 1', 'batchSize: 16', 'student:', '  stemWidth: 8', '  embedDim: 8', '',
  ].join('\n'));
  const env = {
    PATH: `${bin}:${process.env.PATH}`, TINTEM_FROM_SOURCE: '1', TF_CPP_MIN_LOG_LEVEL: '3', TINTEM_CONFIG: config,
    TINTEM_CACHE: join(root, 'cache'), TINTEM_RUN: join(root, 'run'), SLURM_ARRAY_TASK_COUNT: '3',
  };
  for (const name of ['tintem-shards.sbatch', 'tintem-train.sbatch']) writeFileSync(join(root, name), files.get(name)!.text);
  const tasks = await Promise.all([0, 1, 2].map((i) => bash(join(root, 'tintem-shards.sbatch'), { ...env, SLURM_ARRAY_TASK_ID: String(i) })));
  tasks.forEach((t, i) => {
    assert.equal(t.code, 0, `array task ${i}: ${t.out}`);
    assert.match(t.out, new RegExp(`filled .* shard ${i}/3: \\d+ images x 2 view\\(s\\)`));
  });
  const trained = await bash(join(root, 'tintem-train.sbatch'), env);
  assert.equal(trained.code, 0, trained.out);
  assert.match(trained.out, /cache verify .*: OK: .*coverage 96\/96 entries/);
  const summary = JSON.parse(readFileSync(join(root, 'run', 'summary.json'), 'utf8')) as { cache: { misses: number; hits: number } };
  assert.deepEqual([summary.cache.hits, summary.cache.misses], [96, 0], 'trained from the cache alone');
});
