/**
 * Splitting a teacher pass across processes and machines. Shard i of n owns the images whose content hash (the
 * imageChecksum, a SHA-256 of the pixels) falls in the i-th n-th of the hash space, so the split depends on what
 * the images are, never on which process asks or in what order: any shard can be re-run anywhere, and all views
 * of one image land in the same shard. `--shard auto` reads the index from the schedulers' standard variables.
 */
import { UserError } from '../util/errors.js';

export interface ShardSpec {
  /** 0-based shard index. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** Environment variables `--shard auto` reads (documented in docs/scale-out.md). */
export const SHARD_ENV = {
  slurmId: 'SLURM_ARRAY_TASK_ID',
  slurmCount: 'SLURM_ARRAY_TASK_COUNT',
  slurmMin: 'SLURM_ARRAY_TASK_MIN',
  slurmStep: 'SLURM_ARRAY_TASK_STEP',
  k8sIndex: 'JOB_COMPLETION_INDEX',
  count: 'TINTEM_SHARD_COUNT',
} as const;

function integer(value: string | undefined, what: string, min: number): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new UserError(`${what}: expected an integer >= ${min}, got '${value ?? ''}'`);
  }
  return n;
}

function checked(spec: ShardSpec, source: string): ShardSpec {
  if (spec.index >= spec.count) throw new UserError(`${source}: shard index ${spec.index} is not below the shard count ${spec.count}`);
  return spec;
}

/**
 * Parses `--shard i/n` (0-based i) or `--shard auto`. auto: a SLURM array task (index = (ID - MIN) / STEP, count =
 * SLURM_ARRAY_TASK_COUNT; or, when the count is pinned by `--shard-count`/TINTEM_SHARD_COUNT, index = ID), else a
 * Kubernetes Indexed Job's JOB_COMPLETION_INDEX with the count from `--shard-count` or TINTEM_SHARD_COUNT (set it
 * to the Job's `completions`).
 */
export function parseShard(value: string, env: NodeJS.ProcessEnv = process.env, countFlag?: string): ShardSpec {
  const option = '--shard';
  const flagCount = countFlag === undefined ? undefined : integer(countFlag, '--shard-count', 1);
  if (value !== 'auto') {
    const m = /^(\d+)\/(\d+)$/.exec(value.trim());
    if (!m) throw new UserError(`${option}: expected 'i/n' (0-based shard i of n, e.g. 0/4) or 'auto', got '${value}'`);
    const spec = { index: Number(m[1]), count: Number(m[2]) };
    if (spec.count < 1) throw new UserError(`${option}: the shard count must be at least 1, got '${value}'`);
    return checked(spec, option);
  }
  const slurmId = env[SHARD_ENV.slurmId];
  if (slurmId !== undefined && slurmId !== '') {
    const id = integer(slurmId, SHARD_ENV.slurmId, 0);
    const pinned = flagCount ?? (env[SHARD_ENV.count] ? integer(env[SHARD_ENV.count], SHARD_ENV.count, 1) : undefined);
    if (pinned !== undefined) {
      // A re-submission of some tasks (--array=3,11) has its own MIN/COUNT: with the count pinned, task ids are shard indices.
      return checked({ index: id, count: pinned }, `${option} auto (${SHARD_ENV.slurmId}=${id}, count ${pinned})`);
    }
    const count = integer(env[SHARD_ENV.slurmCount], `${option} auto: ${SHARD_ENV.slurmCount}`, 1);
    const min = env[SHARD_ENV.slurmMin] ? integer(env[SHARD_ENV.slurmMin], SHARD_ENV.slurmMin, 0) : 0;
    const step = env[SHARD_ENV.slurmStep] ? integer(env[SHARD_ENV.slurmStep], SHARD_ENV.slurmStep, 1) : 1;
    if ((id - min) % step !== 0 || id < min) throw new UserError(`${option} auto: ${SHARD_ENV.slurmId}=${id} is not on the array's grid (min ${min}, step ${step})`);
    return checked({ index: (id - min) / step, count }, `${option} auto (${SHARD_ENV.slurmId}=${id}, ${SHARD_ENV.slurmCount}=${count})`);
  }
  const k8s = env[SHARD_ENV.k8sIndex];
  if (k8s !== undefined && k8s !== '') {
    const index = integer(k8s, SHARD_ENV.k8sIndex, 0);
    const envCount = env[SHARD_ENV.count];
    if (flagCount === undefined && !envCount) {
      throw new UserError(`${option} auto: ${SHARD_ENV.k8sIndex} is set but the shard count is not: pass --shard-count <n> or set ${SHARD_ENV.count} (the Job's completions)`);
    }
    const count = flagCount ?? integer(envCount, SHARD_ENV.count, 1);
    return checked({ index, count }, `${option} auto (${SHARD_ENV.k8sIndex}=${index}, count ${count})`);
  }
  throw new UserError(`${option} auto: neither ${SHARD_ENV.slurmId} (a SLURM job array) nor ${SHARD_ENV.k8sIndex} (a Kubernetes Indexed Job) is set; pass --shard i/n instead`);
}

/** Which of `count` shards owns the image with this imageChecksum (hex SHA-256): its place in the hash space. */
export function shardOfChecksum(checksum: string, count: number): number {
  // The first 13 hex digits are 52 bits: exact in a double, so the fraction and the floor are exact too.
  const fraction = parseInt(checksum.slice(0, 13), 16) / 2 ** 52;
  return Math.min(count - 1, Math.floor(fraction * count));
}

/** Dataset positions (ascending) of the images shard `spec` owns. */
export function shardIndices(checksums: readonly string[], spec: ShardSpec): number[] {
  const out: number[] = [];
  for (let i = 0; i < checksums.length; i++) if (shardOfChecksum(checksums[i]!, spec.count) === spec.index) out.push(i);
  return out;
}

export function formatShard(spec: ShardSpec): string {
  return `${spec.index}/${spec.count}`;
}
