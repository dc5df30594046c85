/**
 * Developer timings of alternative onnxruntime lowerings for the 3-D
 * convolutions of the 64 px step (forward only, onnx engine, 2 threads),
 * each checked against the engine's own result first. Kept because each
 * answered "would this be faster?" with no (docs/benchmarks.md):
 *   conv   — a 3x3x3 conv as ONE 2-D conv over frames-major input with the
 *            three temporal taps stacked on channels (so onnxruntime's 2-D
 *            kernels run it), against Conv3d;
 *   wgrad  — the weight gradient as one Conv with batch and channel roles
 *            swapped (x^T [Cin, N, ...] convolved with g^T [Cout, N, ...]),
 *            against the engine's path (forward + gradient, forward alone);
 *   igrad  — the input gradient of a channel-expanding conv (Cout >> Cin) as
 *            a MatMul to every tap's columns plus 27 shifted adds, against
 *            the engine's flipped-kernel Conv.
 *
 *   pnpm exec tsx scripts/dev/conv-lowerings.ts conv 16 16 64
 *   pnpm exec tsx scripts/dev/conv-lowerings.ts wgrad 16 16 64
 *   pnpm exec tsx scripts/dev/conv-lowerings.ts igrad 32 256 32 9
 */
import { createEngine } from '../../packages/core/src/engine/create.js';
import type { CompiledFn } from '../../packages/core/src/engine/engine.js';
import type { Ops, Tensor } from '../../packages/core/src/ops.js';
import { HostTensor, sizeOf } from '../../packages/core/src/tensor.js';
import { Variable } from '../../packages/core/src/nn/variable.js';
import { Rng } from '../../packages/core/src/util/rng.js';

const [what = 'conv', a = '16', b = '16', hw = '64', frames = '17'] = process.argv.slice(2);
const [CI, CO, H, D, N] = [Number(a), Number(b), Number(hw), Number(frames), 2];
if (!['conv', 'wgrad', 'igrad'].includes(what)) throw new Error(`conv-lowerings: unknown comparison '${what}'; valid: conv, wgrad, igrad`);
const rng = new Rng(1);
const rand = (shape: number[], std = 1): HostTensor => HostTensor.from(rng.fillNormal(new Float32Array(sizeOf(shape)), 0, std), shape);
const e = await createEngine({ engine: 'onnx' });
type I = Record<string, HostTensor>;
type F = CompiledFn<I, Record<string, Tensor>>;
const compile = (f: (o: Ops, t: Record<string, Tensor>) => Tensor): F => e.compile<I, Record<string, Tensor>>((o, t) => ({ y: f(o, t as Record<string, Tensor>) }));

async function time(name: string, f: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 2; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  t.sort((p, q) => p - q);
  console.log(`${name.padEnd(34)} median ${t[3]!.toFixed(1).padStart(6)} ms  min ${t[0]!.toFixed(1).padStart(6)} ms`);
}
async function agree(name: string, ref: Promise<Record<string, HostTensor>>, got: Promise<Record<string, HostTensor>>, key = 'y'): Promise<void> {
  const [r, g] = [(await ref)[key]!, (await got)['y']!];
  let d = 0;
  let m = 0;
  for (let i = 0; i < r.data.length; i++) [d, m] = [Math.max(d, Math.abs(r.data[i]! - g.data[i]!)), Math.max(m, Math.abs(r.data[i]!))];
  console.log(`${name}: ${g.shape.join('x')}, max |diff| ${d.toExponential(2)} of max |value| ${m.toExponential(2)}`);
}
// spatial axes 2..4 reversed (the flipped kernel)
const flip = (o: Ops, t: Tensor): Tensor => o.slice(t, [-1, -1, -1], [-1e9, -1e9, -1e9], [2, 3, 4], [-1, -1, -1]);

if (what === 'conv') {
  const inputs = { x: rand([N, CI, D, H, H]), w: rand([CO, CI, 3, 3, 3], 0.1) };
  const direct = compile((o, { x, w }) => o.conv(x!, w!, undefined, { padding: 1 }));
  const lowered = compile((o, { x, w }) => {
    const t = o.pad(o.transpose(x!, [0, 2, 1, 3, 4]), [[0, 0], [1, 1], [0, 0], [0, 0], [0, 0]]); // [N, D+2, C, H, W]
    const taps = o.reshape(o.concat([0, 1, 2].map((k) => o.slice(t, [k], [k + D], [1])), 2), [N * D, 3 * CI, H, H]);
    const wk = o.reshape(o.transpose(w!, [0, 2, 1, 3, 4]), [CO, 3 * CI, 3, 3]);
    return o.transpose(o.reshape(o.conv(taps, wk, undefined, { padding: 1 }), [N, D, CO, H, H]), [0, 2, 1, 3, 4]);
  });
  const only2d = compile((o, { x2, w2 }) => o.conv(x2!, w2!, undefined, { padding: 1 }));
  const in2d = { x2: rand([N * D, 3 * CI, H, H]), w2: rand([CO, 3 * CI, 3, 3], 0.1) };
  await agree('2-D lowering', direct.run(inputs), lowered.run(inputs));
  for (let r = 0; r < 2; r++) {
    await time('Conv3d', () => direct.run(inputs));
    await time('2-D lowering, with its transposes', () => lowered.run(inputs));
    await time('its 2-D conv alone', () => only2d.run(in2d));
  }
} else if (what === 'wgrad') {
  const inputs = { x: rand([N, CI, D, H, H]), g: rand([N, CO, D, H, H]) };
  const w = new Variable(rand([CO, CI, 3, 3, 3], 0.1), true, 'w');
  const loss = (o: Ops, { x, g }: Record<string, Tensor>): Tensor => o.sum(o.mul(o.conv(x!, o.variable(w), undefined, { padding: 1 }), g!));
  const fwd = compile(loss);
  const vg = e.valueAndGrad<I, { loss: Tensor }>((o, t) => ({ loss: loss(o, t as Record<string, Tensor>) }), { variables: [w] });
  const swapped = compile((o, { x, g }) => {
    const r = o.conv(o.transpose(x!, [1, 0, 2, 3, 4]), o.transpose(g!, [1, 0, 2, 3, 4]), undefined, { padding: 1 }); // [Cin, Cout, 3, 3, 3]
    return o.transpose(r, [1, 0, 2, 3, 4]);
  });
  await agree('swapped-roles Conv', vg.run(inputs), swapped.run(inputs), 'grad:w');
  for (let r = 0; r < 2; r++) {
    await time('forward (conv, mul, sum)', () => fwd.run(inputs));
    await time('forward + engine weight gradient', () => vg.run(inputs));
    await time('swapped-roles Conv', () => swapped.run(inputs));
  }
} else {
  const inputs = { g: rand([N, CO, D, H, H]), w: rand([CO, CI, 3, 3, 3], 0.1) };
  const viaConv = compile((o, { g, w }) => o.conv(g!, flip(o, o.transpose(w!, [1, 0, 2, 3, 4])), undefined, { padding: 2 }));
  const viaMatMul = compile((o, { g, w }) => {
    const cols = o.matmul(o.reshape(o.transpose(g!, [0, 2, 3, 4, 1]), [N, D * H * H, CO]), o.reshape(w!, [CO, CI * 27]));
    const col = o.reshape(cols, [N, D, H, H, CI, 27]);
    let acc: Tensor | undefined;
    for (let t = 0; t < 27; t++) {
      const [i, j, k] = [Math.floor(t / 9), Math.floor(t / 3) % 3, t % 3];
      const s = o.reshape(o.slice(col, [t], [t + 1], [5]), [N, D, H, H, CI]);
      const p = o.pad(s, [[0, 0], [i, 2 - i], [j, 2 - j], [k, 2 - k], [0, 0]]);
      acc = acc ? o.add(acc, p) : p;
    }
    return o.transpose(acc!, [0, 4, 1, 2, 3]);
  });
  await agree('MatMul + shifted adds', viaConv.run(inputs), viaMatMul.run(inputs));
  for (let r = 0; r < 2; r++) {
    await time('flipped-kernel Conv (engine)', () => viaConv.run(inputs));
    await time('MatMul + 27 shifted adds', () => viaMatMul.run(inputs));
  }
}
await e.dispose();
