/**
 * Which nodes of the four presets' training programs run on WebGPU and which
 * fall back to the CPU provider: each preset trains two steps at a small size
 * on a WebGPU engine (discriminator and LPIPS on from step 0, so every
 * program of a full run is compiled), and each compiled model's placement is
 * read from onnxruntime's verbose log (webGpuPlacement in @zoo/core).
 */
import { createOnnxEngine, modelOutputNames, webGpuPlacement, type NodePlacement, type WebGpuLayout } from '@zoo/core';
import { LPIPS } from '@zoo/losses';
import { SyntheticDataset, syntheticSchema } from '../data/synthetic.js';
import { presetNames, presetSpec } from '../tokenizer/presets.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { trainConfigSchema } from '../train/config.js';
import { train } from '../train/trainer.js';

export interface PresetPlacement {
  preset: string;
  programs: NodePlacement[];
}

export interface PlacementOptions {
  /** Default: all four presets. */
  presets?: readonly string[];
  /** Frame side; default 32 (the smallest LPIPS takes). */
  resolution?: number;
  /** Default 'NCHW', the engine's default. */
  layout?: WebGpuLayout;
}

/** A program's label: its user outputs (optimizer slots and written-back buffers left out). */
function labelOf(model: Uint8Array): string {
  const outs = modelOutputNames(model);
  const user = outs.filter((n) => !/^(new:|opt:|::)/.test(n) && !n.includes('.'));
  return user.length ? user.slice(0, 4).join(',') + (user.length > 4 ? ',…' : '') : `${outs.length} outputs`;
}

export async function presetPlacements(opts: PlacementOptions = {}): Promise<PresetPlacement[]> {
  const resolution = opts.resolution ?? 32;
  const out: PresetPlacement[] = [];
  for (const preset of opts.presets ?? presetNames()) {
    // magvit2's causal encoder halves time only for 1 + 2k frames, magvit's for even counts
    const frames = preset === 'magvit2' ? 3 : 2;
    const models: Uint8Array[] = [];
    const engine = await createOnnxEngine({ device: 'webgpu', onModel: (m) => models.push(m), ...(opts.layout ? { webgpuLayout: opts.layout } : {}) });
    try {
      const s = presetSpec(preset, { frames, resolution, codebookSize: 16 });
      const spec = { ...s, losses: { ...s.losses, discStart: 0 } };
      const data = new SyntheticDataset(syntheticSchema.parse({ frames, resolution, sampling: 'train', length: 2, seed: 1 }));
      const lpips = spec.losses.perceptualWeight > 0 ? new LPIPS({ net: 'alex' }) : undefined;
      const config = trainConfigSchema.parse({ steps: 2, batch: 1, checkpointEvery: 0, restartEvery: 1 });
      await train({ engine, tokenizer: new Tokenizer(spec), config, data, lpips });
    } finally {
      await engine.dispose();
    }
    const labelled = models.map((model) => ({ label: labelOf(model), model }));
    out.push({ preset, programs: await webGpuPlacement(labelled, opts.layout ? { layout: opts.layout } : {}) });
  }
  return out;
}

/** One row per program: nodes on WebGPU, nodes on the CPU, and the CPU op types. */
export function formatPlacements(r: readonly PresetPlacement[]): string[] {
  const lines = ['preset          program (outputs)                          webgpu  cpu  cpu ops'];
  for (const p of r) {
    for (const g of p.programs) {
      const gpu = g.nodes['WebGpuExecutionProvider'] ?? 0;
      const cpu = g.nodes['CPUExecutionProvider'] ?? 0;
      const ops = Object.entries(g.cpuOps).map(([k, v]) => `${k} x${v}`).join(', ') || (g.error ? `error: ${g.error}` : '-');
      lines.push(`${p.preset.padEnd(15)} ${g.label.slice(0, 42).padEnd(42)} ${String(gpu).padStart(6)} ${String(cpu).padStart(4)}  ${ops}`);
    }
  }
  return lines;
}
