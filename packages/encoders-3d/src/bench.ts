/**
 * Encode/decode throughput of each family, behind `pnpm bench encoders`.
 * Reports clips per second; compare families within one run rather than
 * across machines. Imported as `@zoo/encoders-3d/bench`, not from the main
 * entry: timing code is not part of the library.
 */
import { HostTensor, Rng, sizeOf, timeRepeats, type Engine, type Tensor } from '@zoo/core';
import { createFromPreset, getPreset } from './presets.js';
import { FAMILIES, familyNames, type EncoderFamily } from './families/index.js';
import { latentFrames } from './family-geometry.js';

export interface BenchEncodersOptions {
  /** Preset per family. Default each family's `benchPreset` (vqgan-small, magvit-small, magvit2-small). */
  presets?: Partial<Record<EncoderFamily, string>>;
  /** Requested clip length. Default 17 (1 + 4*4); a family that cannot take it uses the longest shorter clip it can (inflated 4x: 16). */
  frames?: number;
  /** Square frame sizes. Default [64, 128]. */
  sizes?: readonly number[];
  /** Clips per call. Default 1. */
  batch?: number;
  /** Untimed calls before timing (the onnx engine compiles on the first). Default 1. */
  warmup?: number;
  /** Timed calls (the median is reported). Default 3. */
  repeats?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface EncoderBenchRow {
  family: EncoderFamily;
  preset: string;
  engine: string;
  device: string;
  frames: number;
  size: number;
  batch: number;
  latentShape: number[];
  encodeClipsPerSec: number;
  decodeClipsPerSec: number;
}

/** Median seconds per call after the warm-up (core's shared timing statistic). */
async function timeCalls(run: () => Promise<unknown>, warmup: number, repeats: number): Promise<number> {
  return (await timeRepeats(run, { warmup, repeats })).medianMs / 1000;
}

export async function benchEncoders(engine: Engine, opts: BenchEncodersOptions = {}): Promise<EncoderBenchRow[]> {
  const sizes = opts.sizes ?? [64, 128];
  const batch = opts.batch ?? 1;
  const warmup = opts.warmup ?? 1;
  const repeats = opts.repeats ?? 3;
  const rows: EncoderBenchRow[] = [];
  const rng = new Rng(0);
  for (const family of familyNames()) {
    const preset = opts.presets?.[family] ?? FAMILIES[family].benchPreset;
    const p = getPreset(preset);
    if (p.family !== family) throw new Error(`benchEncoders: preset '${preset}' is a ${p.family} preset, not ${family}`);
    const { encoder, decoder } = createFromPreset(preset);
    encoder.eval();
    decoder.eval();
    let frames = opts.frames ?? 17;
    while (frames > 1 && latentFrames(family, encoder.compression.time, frames) === undefined) frames--;
    // Inference throughput: weights frozen into the graphs, as the tokenizer codec runs them.
    const encode = engine.compile<{ x: HostTensor }, { z: Tensor }>((ops, inp) => ({ z: encoder.forward(ops, inp.x) }), { frozen: true });
    const decode = engine.compile<{ z: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: decoder.forward(ops, inp.z) }), { frozen: true });
    for (const size of sizes) {
      const shape = [batch, encoder.config.channels, frames, size, size];
      const x = new HostTensor(shape, rng.fillUniform(new Float32Array(sizeOf(shape)), -1, 1), 'float32');
      const latentShape = encoder.latentShape(shape);
      const z = new HostTensor(latentShape, rng.fillNormal(new Float32Array(sizeOf(latentShape))), 'float32');
      const encSec = await timeCalls(() => encode.run({ x }), warmup, repeats);
      const decSec = await timeCalls(() => decode.run({ z }), warmup, repeats);
      const row: EncoderBenchRow = {
        family,
        preset,
        engine: engine.name,
        device: engine.device,
        frames,
        size,
        batch,
        latentShape,
        encodeClipsPerSec: batch / encSec,
        decodeClipsPerSec: batch / decSec,
      };
      opts.log?.(
        `${family} (${preset}) ${frames}x${size}x${size} on ${engine.name}/${engine.device}: ` +
          `encode ${row.encodeClipsPerSec.toPrecision(3)} clips/s, decode ${row.decodeClipsPerSec.toPrecision(3)} clips/s`,
      );
      rows.push(row);
    }
  }
  return rows;
}
