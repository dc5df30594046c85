import { HostTensor, create, registry } from '@zoo/core';
import { SyntheticDataset, renderSyntheticClip, syntheticSchema } from '../src/data/index.js';
import { meanFrame } from '../src/run/evaluate.js';

async function collect(ds: SyntheticDataset, epoch = 0): Promise<HostTensor<'float32'>[]> {
  const out: HostTensor<'float32'>[] = [];
  for await (const c of ds.clips({ epoch })) out.push(c);
  return out;
}
const meanAbsDiff = (a: Float32Array, b: Float32Array, off = 0, n = a.length): number => {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(a[off + i]! - b[off + i]!);
  return s / n;
};

describe('synthetic dataset', () => {
  it('is registered with defaults: 64 clips of 17x64x64x3 in [0, 1]', async () => {
    expect(registry.names('dataset')).toEqual(expect.arrayContaining(['synthetic', 'ucf101', 'videos', 'images']));
    const ds = create('dataset', 'synthetic', { length: 3 });
    expect(ds.clipShape).toEqual([17, 64, 64, 3]);
    expect(ds.length).toBe(3);
    expect(syntheticSchema.parse({}).length).toBe(64);
    const clips = await collect(ds);
    expect(clips).toHaveLength(3);
    for (const c of clips) {
      expect(c.shape).toEqual([17, 64, 64, 3]);
      expect(c.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });

  it('is deterministic for a seed, and different seeds give different videos', () => {
    const a = renderSyntheticClip(42, 4, 24);
    expect(renderSyntheticClip(42, 4, 24)).toEqual(a);
    expect(meanAbsDiff(a, renderSyntheticClip(43, 4, 24))).toBeGreaterThan(0.02);
  });

  it('has motion: consecutive frames differ, and texture: pixels vary within a frame', () => {
    const r = 32;
    const frame = r * r * 3;
    let moving = 0;
    for (let seed = 0; seed < 6; seed++) {
      const clip = renderSyntheticClip(seed, 6, r);
      const f0 = clip.subarray(0, frame);
      const f5 = clip.subarray(5 * frame, 6 * frame);
      if (meanAbsDiff(f0, f5) > 0.005) moving++;
      const mean = f0.reduce((s, v) => s + v, 0) / frame;
      const std = Math.sqrt(f0.reduce((s, v) => s + (v - mean) ** 2, 0) / frame);
      expect(std).toBeGreaterThan(0.02);
    }
    expect(moving).toBeGreaterThanOrEqual(5);
  });

  it('describes the same scene at every resolution, anti-aliased: 64 px box-averaged to 16 px is close to 16 px', () => {
    const big = renderSyntheticClip(7, 3, 64);
    const small = renderSyntheticClip(7, 3, 16);
    const down = new Float32Array(small.length);
    for (let t = 0; t < 3; t++)
      for (let y = 0; y < 16; y++)
        for (let x = 0; x < 16; x++)
          for (let c = 0; c < 3; c++) {
            let acc = 0;
            for (let j = 0; j < 4; j++) for (let i = 0; i < 4; i++) acc += big[((t * 64 + y * 4 + j) * 64 + x * 4 + i) * 3 + c]!;
            down[((t * 16 + y) * 16 + x) * 3 + c] = acc / 16;
          }
    expect(meanAbsDiff(down, small)).toBeLessThan(0.02);
    // Another seed's scene is far away, so the closeness above is not just smoothness.
    expect(meanAbsDiff(down, renderSyntheticClip(8, 3, 16))).toBeGreaterThan(0.05);
  });

  it('moves enough at 16 px that the per-clip mean frame loses detail (clips are not near-static)', async () => {
    const ds = new SyntheticDataset(syntheticSchema.parse({ length: 8, frames: 8, resolution: 16, seed: 2 }));
    for await (const b of ds.batches(8)) {
      const m = meanFrame(b);
      let se = 0;
      for (let i = 0; i < b.size; i++) se += (b.data[i]! - m.data[i]!) ** 2;
      // RMS change of a pixel from its clip mean: above 2/255 on average over the clips.
      expect(Math.sqrt(se / b.size)).toBeGreaterThan(0.04);
    }
  });

  it('eval clips are fixed across epochs; train clips are new each epoch and never equal eval clips', async () => {
    const base = { length: 3, frames: 2, resolution: 16, seed: 1 };
    const ev = new SyntheticDataset(syntheticSchema.parse(base));
    const e0 = await collect(ev, 0);
    const e1 = await collect(ev, 1);
    e0.forEach((c, i) => expect(c.data).toEqual(e1[i]!.data));
    const tr = new SyntheticDataset(syntheticSchema.parse({ ...base, sampling: 'train' }));
    const t0 = await collect(tr, 0);
    const t0again = await collect(tr, 0);
    const t1 = await collect(tr, 1);
    t0.forEach((c, i) => expect(c.data).toEqual(t0again[i]!.data));
    expect(t0.some((c, i) => meanAbsDiff(c.data, t1[i]!.data) > 0.01)).toBe(true);
    for (const t of t0) for (const e of e0) expect(meanAbsDiff(t.data, e.data)).toBeGreaterThan(0.001);
  });

  it('batches stack clips into [B, T, H, W, 3] with a smaller last batch', async () => {
    const ds = new SyntheticDataset(syntheticSchema.parse({ length: 5, frames: 2, resolution: 8 }));
    const shapes: number[][] = [];
    for await (const b of ds.batches(2)) shapes.push(b.shape);
    expect(shapes).toEqual([
      [2, 2, 8, 8, 3],
      [2, 2, 8, 8, 3],
      [1, 2, 8, 8, 3],
    ]);
    await expect(async () => {
      for await (const _b of ds.batches(0)) void _b;
    }).rejects.toThrow(/batch size/);
  });

  it('serves repeated clips from its cache unchanged, and a caller writing into a clip does not alter the next read', async () => {
    const config = { length: 3, frames: 2, resolution: 8, sampling: 'train' as const, seed: 4 };
    const cached = new SyntheticDataset(syntheticSchema.parse({ ...config, cacheMiB: 1 }));
    const uncached = new SyntheticDataset(syntheticSchema.parse({ ...config, cacheMiB: 0 }));
    const first = await collect(cached, 2);
    first[0]!.data.fill(-1);
    const again = await collect(cached, 2);
    const fresh = await collect(uncached, 2);
    again.forEach((c, i) => expect(c.data).toEqual(fresh[i]!.data));
    // a budget smaller than one clip keeps nothing and still renders correctly
    const tiny = new SyntheticDataset(syntheticSchema.parse({ ...config, cacheMiB: 1e-6 }));
    (await collect(tiny, 2)).forEach((c, i) => expect(c.data).toEqual(fresh[i]!.data));
  });

  it('rejects bad configs naming the field', () => {
    expect(() => create('dataset', 'synthetic', { resolution: 2 })).toThrow(/resolution/);
  });
});
