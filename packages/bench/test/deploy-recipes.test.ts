/**
 * The shipped cluster recipes stay valid: the Kubernetes manifests against
 * the Kubernetes API schema (kubernetes-models: types, enums and required
 * fields; it does not flag unknown fields), their sweep wiring (shard count
 * = completions, --shard auto, --resume, a merge of the same folder), every
 * zoo flag they use exists, and the Slurm scripts parse as bash.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { runCli } from '../src/cli/main.js';

const DEPLOY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'deploy');

interface JobLike {
  spec: { completions?: number; parallelism?: number; completionMode?: string; template: { spec: { containers: { args?: string[]; env?: { name: string; value?: string }[] }[] } } };
}

function jobs(file: string): JobLike[] {
  return parseAllDocuments(readFileSync(join(DEPLOY, 'kubernetes', file), 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    const value = d.toJS() as Record<string, unknown>;
    expect(() => new Job(value).validate()).not.toThrow();
    return value as unknown as JobLike;
  });
}

async function helpOf(command: string): Promise<string> {
  let out = '';
  await runCli([command, '--help'], { out: (t) => void (out += t), err: () => undefined });
  return out;
}

describe('deploy recipes', () => {
  it('the Indexed Job and its merge Job are valid Kubernetes Jobs wired as one sweep', async () => {
    const [sweep] = jobs('indexed-job.yaml');
    const [merge] = jobs('merge-job.yaml');
    expect(sweep!.spec.completionMode).toBe('Indexed');
    const c = sweep!.spec.template.spec.containers[0]!;
    expect(c.env?.find((e) => e.name === 'ZOO_SHARD_COUNT')?.value).toBe(String(sweep!.spec.completions));
    expect(sweep!.spec.parallelism).toBe(sweep!.spec.completions);
    const args = c.args!;
    expect(args[0]).toBe('tokenizers');
    expect(args[args.indexOf('--shard') + 1]).toBe('auto');
    expect(args).toContain('--resume');
    const out = args[args.indexOf('--out') + 1];
    expect(merge!.spec.template.spec.containers[0]!.args).toEqual(['merge', out, '--out', out]);
    const help = await helpOf('tokenizers');
    for (const flag of args.filter((a) => a.startsWith('--'))) expect({ flag, known: help.includes(`${flag} `) }).toEqual({ flag, known: true });
  });

  it('a wrong type in a manifest is caught by the schema check', () => {
    const bad = parseAllDocuments(readFileSync(join(DEPLOY, 'kubernetes', 'indexed-job.yaml'), 'utf8'))[0]!.toJS() as { spec: Record<string, unknown> };
    bad.spec['completions'] = 'four';
    expect(() => new Job(bad as never).validate()).toThrow(/completions must be integer/);
  });

  it('the Slurm scripts are valid bash and use only existing zoo flags', async () => {
    const help = await helpOf('tokenizers');
    for (const f of ['sweep.sbatch', 'merge.sbatch', 'submit.sh']) {
      const r = spawnSync('bash', ['-n', join(DEPLOY, 'slurm', f)], { encoding: 'utf8' });
      expect({ f, status: r.status, err: r.stderr }).toEqual({ f, status: 0, err: '' });
    }
    const sweep = readFileSync(join(DEPLOY, 'slurm', 'sweep.sbatch'), 'utf8');
    expect(sweep).toMatch(/#SBATCH --array=0-\d+/);
    expect(sweep).toMatch(/--shard auto --resume/);
    const cmd = sweep.slice(sweep.indexOf('pnpm --silent bench tokenizers'));
    for (const flag of cmd.match(/--[a-z][\w-]*/g)!.filter((f) => f !== '--silent')) expect({ flag, known: help.includes(`${flag} `) }).toEqual({ flag, known: true });
  });
});
