/**
 * What the onnxruntime install on this machine can do, without creating a
 * session: its version and which execution providers are usable. CUDA counts
 * only when its provider library is actually present next to the binding
 * (the default install skips the CUDA download; see the README).
 */
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface OnnxRuntimeInfo {
  version: string;
  /** Execution providers usable now, e.g. ['cpu'] or ['cpu', 'cuda']. */
  executionProviders: string[];
  /** Providers the binding knows about but that are not installed. */
  notInstalled: string[];
  bindingDir: string;
}

const require = createRequire(import.meta.url);

export function onnxRuntimeInfo(): OnnxRuntimeInfo {
  const pkgPath = require.resolve('onnxruntime-node/package.json');
  const version = (require(pkgPath) as { version: string }).version;
  const root = dirname(pkgPath);
  const bindingDir = join(root, 'bin', 'napi-v6', process.platform, process.arch);
  const libs = existsSync(bindingDir) ? readdirSync(bindingDir) : [];
  const has = (provider: string) => libs.some((f) => f.includes(`onnxruntime_providers_${provider}`));
  const executionProviders = ['cpu'];
  const notInstalled: string[] = [];
  for (const ep of ['cuda', 'tensorrt'] as const) (has(ep) ? executionProviders : notInstalled).push(ep);
  return { version, executionProviders, notInstalled, bindingDir };
}

/** The message shown when CUDA is requested but not installed. */
export const CUDA_INSTALL_HINT =
  'onnxruntime-node was installed without its CUDA binaries (the default: its installer downloads them). ' +
  'Run `pnpm install:cuda` at the repository root (onnxruntime-node\'s installer with ONNXRUNTIME_NODE_INSTALL=cuda12; ' +
  'needs CUDA 12 and cuDNN 9), or use --device cpu.';
