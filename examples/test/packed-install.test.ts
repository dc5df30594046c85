/**
 * The library outside the repository: `pnpm pack` every package (prepack
 * compiles), check what the tarballs hold, install @zoo/core and
 * @zoo/quantizers from them into a temporary folder outside the workspace,
 * and run the @zoo/quantizers README's examples there as plain Node ESM,
 * CommonJS and compiled TypeScript.
 *
 * Needs the npm registry for package metadata (tarballs come from pnpm's
 * store when setup already fetched them), as CI has.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACKAGES = ['core', 'quantizers', 'encoders-3d', 'discriminators', 'losses', 'bench'];

function sh(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 240_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${cwd} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Fenced blocks whose info string names a file (```js lfq-example.mjs), by file name. */
function readmeFiles(readme: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of readme.matchAll(/^```\w+ ([\w.-]+)\n([\s\S]*?)^```$/gm)) out[m[1]!] = m[2]!;
  return out;
}

describe('the packages installed from their tarballs, outside the workspace', () => {
  let work: string;
  let packs: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'zoo-packed-'));
    packs = join(work, 'packs');
    sh('pnpm', ['-r', '--filter', './packages/*', 'pack', '--pack-destination', packs], ROOT);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('each tarball holds compiled JS, types, sources and README, no tests or fixtures, and @zoo deps by version', () => {
    for (const p of PACKAGES) {
      const tgz = join(packs, `zoo-${p}-0.1.0.tgz`);
      const files = sh('tar', ['-tzf', tgz], work).stdout.trim().split('\n');
      expect(files).toContain('package/dist/src/index.js');
      expect(files).toContain('package/dist/src/index.d.ts');
      expect(files).toContain('package/README.md');
      expect(files.filter((f) => /\/test\/|fixtures|\.test\.|tsbuildinfo/.test(f))).toEqual([]);
      const manifest = JSON.parse(sh('tar', ['-xzOf', tgz, 'package/package.json'], work).stdout) as {
        exports: Record<string, { default: string }>;
        dependencies?: Record<string, string>;
      };
      expect(manifest.exports['.']!.default).toBe('./dist/src/index.js');
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) if (dep.startsWith('@zoo/')) expect(range).toBe('0.1.0');
      if (p === 'losses') expect(files).toContain('package/weights/lpips_alex_v0.1.safetensors');
    }
  });

  it("runs the @zoo/quantizers README's LFQ examples as ESM, CommonJS and TypeScript", () => {
    const app = join(work, 'app');
    const tarball = (p: string): string => `file:${join(packs, `zoo-${p}-0.1.0.tgz`)}`;
    sh('mkdir', ['-p', app], work);
    writeFileSync(join(app, 'package.json'), JSON.stringify({
      name: 'fresh-app', private: true, type: 'module',
      dependencies: { '@zoo/core': tarball('core'), '@zoo/quantizers': tarball('quantizers') },
      devDependencies: { typescript: '5.9.3', '@types/node': '20.19.43' },
      pnpm: { overrides: { '@zoo/core': tarball('core') } },
    }));
    sh('pnpm', ['install', '--prefer-offline', '--ignore-workspace'], app);
    const files = readmeFiles(readFileSync(join(ROOT, 'packages', 'quantizers', 'README.md'), 'utf8'));
    expect(Object.keys(files).sort()).toEqual(['lfq-example.cjs', 'lfq-example.mjs', 'lfq-example.ts', 'tsconfig.json']);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(app, name), text);
    for (const script of ['lfq-example.mjs', 'lfq-example.cjs']) {
      expect(sh('node', [script], app).stdout).toContain('indices 2x4x4');
    }
    sh(join(app, 'node_modules', '.bin', 'tsc'), ['-p', '.'], app);
    const ts = sh('node', [join('build', 'lfq-example.js')], app).stdout;
    expect(ts).toMatch(/\[ 2, 10, 4, 4 \]/);
    expect(ts).toMatch(/usedCodes: \d+/);
    // Resolved from the installed tarballs, not the workspace sources.
    expect(readdirSync(join(app, 'node_modules', '@zoo', 'quantizers', 'dist', 'src'))).toContain('lfq.js');
  }, 300_000);
});
