/**
 * Child process of `pnpm bench step` (forked with tsx): builds one model on
 * one engine and runs train steps when asked, so each model's peak memory is
 * its own process's and the parent can interleave it with the PyTorch peer.
 *
 * Messages in:  { cmd: 'init', options, engine, dumpDir? } | { cmd: 'run', steps } | { cmd: 'exit' }
 * Messages out: { ready, params, peer, files? } | { ms, loss } | { peakRssMiB, baseRssMiB } | { error }
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '@zoo/core';
import '../components.js';
import { buildOurStep, type OurStep, type StepModelOptions } from './step-model.js';

export type WorkerRequest =
  | { cmd: 'init'; options: StepModelOptions; engine: string; dumpDir?: string }
  | { cmd: 'run'; steps: number }
  | { cmd: 'exit' };

const rssMiB = (): number => process.resourceUsage().maxRSS / 1024;

function send(msg: unknown): void {
  process.send!(msg);
}

let current: OurStep | undefined;
// The resident set before any model or session exists. Not the high-water mark
// at this point: tsx's module loading can peak above what a small model's
// step ever needs (16 px steps stayed under it once the memory pattern was off).
const baseRssMiB = process.memoryUsage().rss / 1048576;

async function handle(req: WorkerRequest): Promise<void> {
  if (req.cmd === 'init') {
    current = await buildOurStep(req.options, req.engine);
    let files: { weights: string; batch: string } | undefined;
    if (req.dumpDir) {
      // The state after k-means init: exactly what our first step starts from.
      mkdirSync(req.dumpDir, { recursive: true });
      files = { weights: join(req.dumpDir, 'model.safetensors'), batch: join(req.dumpDir, 'batch.safetensors') };
      await writeSafetensors(files.weights, current.tokenizer.stateDict());
      await writeSafetensors(files.batch, { x: current.batch });
    }
    send({ ready: true, params: current.params, peer: current.peer, files });
  } else if (req.cmd === 'run') {
    const s = current!;
    const ms: number[] = [];
    let loss: number | undefined;
    for (let i = 0; i < req.steps; i++) {
      const t0 = performance.now();
      const out = await s.step.run({ x: s.batch });
      ms.push(performance.now() - t0);
      loss ??= out.outputs.loss.data[0];
    }
    send({ ms, loss });
  } else {
    await current?.engine.dispose();
    send({ peakRssMiB: rssMiB(), baseRssMiB });
    process.disconnect();
  }
}

// One request at a time, in order.
let queue = Promise.resolve();
process.on('message', (req: WorkerRequest) => {
  queue = queue.then(() => handle(req)).catch((e: unknown) => {
    send({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  });
});
