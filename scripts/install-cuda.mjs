// Opt-in GPU setup: runs onnxruntime-node's own installer, which our normal
// install skips, asking it for the CUDA 12 execution provider binaries.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

const require = createRequire(join(process.cwd(), 'packages/core/package.json'));
const root = dirname(require.resolve('onnxruntime-node/package.json'));
const r = spawnSync(process.execPath, [join(root, 'script', 'install.js')], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
});
process.exit(r.status ?? 1);
