/**
 * Which part of a sweep this process runs: `--shard i/n`, or `--shard auto`
 * read from the scheduler that started it, so one command line serves every
 * task of a Kubernetes Indexed Job or a Slurm job array:
 *
 * - Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (set by Kubernetes) is the
 *   index; the count is `--shard-count` or `ZOO_SHARD_COUNT` (the manifest sets
 *   it to the Job's `completions`; Kubernetes does not expose it).
 * - Slurm job array: `SLURM_ARRAY_TASK_ID`, offset by `SLURM_ARRAY_TASK_MIN` and
 *   divided by `SLURM_ARRAY_TASK_STEP` (so `--array=1-8` or `0-30:2` work), out of
 *   `SLURM_ARRAY_TASK_COUNT` (or `(MAX - MIN) / STEP + 1`).
 *
 * Work is dealt round-robin over the finest unit (tokenizer x quantizer x
 * codebook size x seed), so shard sizes differ by at most one unit.
 */
import { RunOptionsError } from '../util/errors.js';

export interface Shard {
  index: number;
  count: number;
  /** Where index and count came from. */
  source: 'flag' | 'kubernetes' | 'slurm';
}

/** A `--shard` that cannot be resolved; a RunOptionsError, so callers catch both alike. */
export class ShardError extends RunOptionsError {
  constructor(message: string) {
    super(message);
    this.name = 'ShardError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ShardError(`--shard auto: ${name}=${JSON.stringify(v)} is not a non-negative integer`);
  return n;
}

function checked(index: number, count: number, source: Shard['source'], where: string): Shard {
  if (!(count >= 1)) throw new ShardError(`--shard ${where}: the shard count must be at least 1, got ${count}`);
  if (!(index >= 0 && index < count)) throw new ShardError(`--shard ${where}: index ${index} is outside 0..${count - 1}`);
  return { index, count, source };
}

/** Resolves `--shard` (`i/n` or `auto`) against the environment; `shardCount` is `--shard-count`. */
export function resolveShard(spec: string, env: Env = process.env, shardCount?: number): Shard {
  if (spec !== 'auto') {
    const m = /^(\d+)\/(\d+)$/.exec(spec);
    if (!m) throw new ShardError(`--shard ${spec}: expected i/n (e.g. 0/4) or auto`);
    return checked(Number(m[1]), Number(m[2]), 'flag', spec);
  }
  const k8s = int(env, 'JOB_COMPLETION_INDEX');
  if (k8s !== undefined) {
    const count = shardCount ?? int(env, 'ZOO_SHARD_COUNT');
    if (count === undefined) {
      throw new ShardError(
        '--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the shard count is not: ' +
          "pass --shard-count N or set ZOO_SHARD_COUNT to the Job's completions",
      );
    }
    return checked(k8s, count, 'kubernetes', `auto (JOB_COMPLETION_INDEX=${k8s}, count ${count})`);
  }
  const id = int(env, 'SLURM_ARRAY_TASK_ID');
  if (id !== undefined) {
    const min = int(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
    const step = int(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
    const max = int(env, 'SLURM_ARRAY_TASK_MAX');
    const count = shardCount ?? int(env, 'SLURM_ARRAY_TASK_COUNT') ?? (max !== undefined ? Math.floor((max - min) / step) + 1 : undefined);
    if (count === undefined) {
      throw new ShardError('--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is; pass --shard-count N');
    }
    if (step < 1 || (id - min) % step !== 0) throw new ShardError(`--shard auto: SLURM_ARRAY_TASK_ID=${id} is not on the array's grid (min ${min}, step ${step})`);
    return checked((id - min) / step, count, 'slurm', `auto (SLURM_ARRAY_TASK_ID=${id}, min ${min}, step ${step}, count ${count})`);
  }
  throw new ShardError(
    '--shard auto found no scheduler in the environment: a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX, ' +
      'a Slurm job array SLURM_ARRAY_TASK_ID. Outside a scheduler pass --shard i/n.',
  );
}

/** The units of shard `s`: every `count`-th, starting at `index`. */
export function unitsOf<T>(all: readonly T[], s: Pick<Shard, 'index' | 'count'>): T[] {
  return all.filter((_, i) => i % s.count === s.index);
}
