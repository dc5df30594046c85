/**
 * Developer profile of one preset's train step (the `pnpm bench step`
 * model): runs N steps with onnxruntime's profiler on, drops the first
 * SKIP runs (allocation, page faults and a slow start), and prints kernel
 * time per run by op type and for the heaviest nodes, with their shapes,
 * and for convolutions and matmuls their FLOPs and achieved GFLOP/s.
 * The profiler adds per-node overhead: compare shares, not absolute times.
 * For the PyTorch side, `ZOO_TORCH_PROFILE=FILE pnpm bench step` appends
 * torch.profiler's op table to FILE.
 *
 *   pnpm exec tsx scripts/dev/step-profile.ts magvit 8 30 [Conv,MatMul]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../packages/bench/src/components.js';
import { buildOurStep } from '../../packages/bench/src/perf/step-model.js';

const [model = 'vqgan', n = '8', top = '25', only = ''] = process.argv.slice(2);
const skip = Number(process.env['SKIP'] ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'zoo-prof-'));
process.env['ZOO_ORT_PROFILE'] = join(dir, 'p');
const s = await buildOurStep({ model, frames: 17, resolution: 64, batch: 2, codebookSize: 256, seed: 0 }, 'onnx-cpu');
for (let i = 0; i < Number(n); i++) await s.step.run({ x: s.batch });
await s.engine.dispose();

type Shapes = Record<string, number[]>[];
interface Ev { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string; input_type_shape?: Shapes; output_type_shape?: Shapes } }
const shapes = (l: Shapes = []): string => l.map((x) => Object.values(x)[0]!.join('x')).join(' ');
const dims = (l: Shapes = []): number[][] => l.map((x) => Object.values(x)[0]!);
const prod = (v: readonly number[]): number => v.reduce((a, b) => a * b, 1);
// multiply-adds x 2 of the compute-bound ops, from the shapes the profiler logged
function flops(op: string, ins: number[][], outs: number[][]): number {
  const [a, b] = ins;
  const [y] = outs;
  if (!a || !b || !y) return 0;
  if (op === 'Conv' || op === 'FusedConv') return 2 * prod(y) * prod(b.slice(1)); // every output: Cin/g x kernel taps
  if (op === 'ConvTranspose') return 2 * prod(a) * prod(b.slice(1)); // every input: Cout/g x kernel taps
  // the profiler logs no transpose flags: |A|·|B| = M·K·K·N per matrix pair gives K either way
  if (op === 'MatMul' || op === 'FusedMatMul' || op === 'Gemm') return 2 * prod(y) * Math.sqrt((prod(a.slice(-2)) * prod(b.slice(-2))) / prod(y.slice(-2)));
  return 0;
}
const flopsByOp = new Map<string, number>();
const byOp = new Map<string, number>();
const byNode = new Map<string, { op: string; dur: number; flops: number; io: string }>();
let runs = 0;
let total = 0;
let nodes = 0;
for (const f of readdirSync(dir)) {
  const evs = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Ev[];
  // the train step's session is the one that ran N times
  const runsOf = evs.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  if (runsOf.length < Number(n)) continue;
  const timed = runsOf.slice(skip);
  runs += timed.length;
  const inTimed = (ts: number): boolean => timed.some((r) => ts >= r.ts && ts <= r.ts + r.dur);
  for (const e of evs) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !inTimed(e.ts)) continue;
    const op = e.args?.op_name ?? '?';
    nodes++;
    total += e.dur;
    const fl = flops(op, dims(e.args?.input_type_shape), dims(e.args?.output_type_shape));
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
    flopsByOp.set(op, (flopsByOp.get(op) ?? 0) + fl);
    const name = e.name.replace(/_kernel_time$/, '');
    const prev = byNode.get(name) ?? { op, dur: 0, flops: 0, io: `${shapes(e.args?.input_type_shape)} -> ${shapes(e.args?.output_type_shape)}` };
    prev.dur += e.dur;
    prev.flops += fl;
    byNode.set(name, prev);
  }
}
rmSync(dir, { recursive: true, force: true });
const ms = (us: number): string => (us / 1000 / runs).toFixed(2).padStart(8);
console.log(`${model}: ${runs} timed runs (after ${skip}), ${Math.round(nodes / runs)} nodes, kernel time ${ms(total)} ms per run`);
for (const [op, d] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  const f = (flopsByOp.get(op) ?? 0) / runs;
  const rate = f ? `  ${(f / 1e9).toFixed(2).padStart(7)} GFLOP at ${((f * runs) / d / 1e3).toFixed(0)} GFLOP/s` : '';
  console.log(`${op.padEnd(24)} ${ms(d)} ms ${((100 * d) / total).toFixed(1).padStart(5)}%${rate}`);
}
const ops = only ? new Set(only.split(',')) : undefined;
console.log(`--- heaviest nodes${ops ? ` (${only})` : ''}`);
const heavy = [...byNode].filter(([, v]) => !ops || ops.has(v.op)).sort((a, b) => b[1].dur - a[1].dur).slice(0, Number(top));
for (const [name, v] of heavy) console.log(`${ms(v.dur)} ms  ${v.op.padEnd(14)} ${v.flops ? `${(v.flops / v.dur / 1e3).toFixed(0).padStart(4)} GF/s` : '         '} ${name.padEnd(22)} ${v.io}`);
