/**
 * The onnx training step (the counterpart of tfjs/train-step.ts): per input
 * signature, the traced loss with its gradients and the Adam update appended
 * (one graph, one session run per step). Adam's moments live in two flat
 * buffers between runs (see appendAdam), in GPU memory on the webgpu device;
 * checkpoints see them per parameter, under torch's state names.
 */
import type { AdamConfig, Inputs, Outputs, StepResult, TrainStep } from '../engine.js';
import { HostTensor } from '../../tensor.js';
import type { Variable } from '../../nn/variable.js';
import { TraceError, type Sym } from './ir.js';
import { gradients } from './autodiff.js';
import { appendAdam, flatLayout, LR_INPUT, M_INPUT, STEP_INPUT, V_INPUT } from './adam.js';
import type { NamedOutput } from './serialize.js';
import { fromOrt, toOrt, type ort } from './session.js';
import { lossOf, specsOf, trace, uniqueKeys, type TraceFn } from './trace.js';
import { hostOutputs, type Prepared, type Program } from './programs.js';

type Feeds = Record<string, ort.Tensor>;

/** What the step needs from its engine: compiled programs, one run, and reading a (GPU) tensor back. */
export interface StepHost {
  programs<I extends Inputs>(prepare: (inputs: I) => Prepared): <T>(inputs: I, f: (p: Program) => Promise<T>) => Promise<T>;
  execute(p: Program, inputs: Inputs, extraFeeds: Feeds): Promise<Record<string, ort.Tensor>>;
  download(t: ort.Tensor): Promise<Float32Array>;
}

export class OnnxTrainStep<I extends Inputs, O extends Outputs> implements TrainStep<I, O> {
  private readonly keys: string[];
  private readonly offsets: number[];
  private readonly total: number;
  private step = 0;
  private m: ort.Tensor;
  private v: ort.Tensor;
  private readonly lr: number;
  private readonly withProgram: <T>(inputs: I, f: (p: Program) => Promise<T>) => Promise<T>;

  /** `params` are checked by the engine (distinct, trainable); `optimizer` by checkAdamConfig. */
  constructor(
    private readonly host: StepHost,
    fn: TraceFn<I, O>,
    private readonly params: readonly Variable[],
    optimizer: AdamConfig,
  ) {
    this.keys = uniqueKeys(params);
    ({ offsets: this.offsets, total: this.total } = flatLayout(params.map((v) => v.shape)));
    this.m = toOrt(HostTensor.zeros([this.total]));
    this.v = toOrt(HostTensor.zeros([this.total]));
    this.withProgram = host.programs<I>((inputs) => {
      const traced = trace(fn as never, specsOf(inputs));
      const loss = lossOf(traced);
      for (const a of traced.assigns) {
        if (params.includes(a.variable)) throw new TraceError(`compileTrainStep: '${a.name}' assigns a trained parameter`);
      }
      const psyms: Sym[] = params.map((v) => traced.ops.variable(v));
      const grads = gradients(traced.ops, loss, psyms);
      const adam = appendAdam(traced.ops, psyms, grads, optimizer);
      const extra: NamedOutput[] = [
        { name: 'opt:gradNorm', sym: adam.gradNorm },
        { name: `new:${M_INPUT}`, sym: adam.newM },
        { name: `new:${V_INPUT}`, sym: adam.newV },
      ];
      params.forEach((_, i) => extra.push({ name: `new:${this.keys[i]}`, sym: adam.newParams[i]! }));
      // Adam's moments stay in GPU memory between steps (read back only for checkpoints)
      return { traced, extra, fed: new Set(params), deviceOutputs: [`new:${M_INPUT}`, `new:${V_INPUT}`] };
    });
    this.lr = optimizer.lr;
  }

  run(inputs: I, opts?: { lr?: number }): Promise<StepResult<O>> {
    return this.withProgram(inputs, async (p) => {
      const step = this.step + 1;
      const feeds: Feeds = { [M_INPUT]: this.m, [V_INPUT]: this.v };
      feeds[LR_INPUT] = toOrt(HostTensor.from([opts?.lr ?? this.lr], []));
      feeds[STEP_INPUT] = toOrt(HostTensor.from([step], []));
      const res = await this.host.execute(p, inputs, feeds);
      this.step = step;
      this.params.forEach((v, i) => {
        v.value = fromOrt(res[`new:${this.keys[i]}`]!) as HostTensor<'float32'>;
      });
      const [oldM, oldV] = [this.m, this.v];
      this.m = res[`new:${M_INPUT}`]!;
      this.v = res[`new:${V_INPUT}`]!;
      // GPU buffers are freed now rather than whenever the GC finalizes them
      for (const t of [oldM, oldV]) if (t.location === 'gpu-buffer') t.dispose();
      return { outputs: hostOutputs<O>(p, res), gradNorm: (res['opt:gradNorm']!.data as Float32Array)[0]! };
    });
  }

  private perParam(data: Float32Array, i: number): HostTensor {
    const n = this.offsets[i + 1] ?? this.total;
    return new HostTensor(this.params[i]!.shape, data.slice(this.offsets[i]!, n), 'float32');
  }

  async optimizerState(): Promise<Record<string, HostTensor>> {
    const out: Record<string, HostTensor> = { step: HostTensor.from([this.step], [1]) };
    const [m, v] = [await this.host.download(this.m), await this.host.download(this.v)];
    this.keys.forEach((k, i) => {
      out[`exp_avg:${k}`] = this.perParam(m, i);
      out[`exp_avg_sq:${k}`] = this.perParam(v, i);
    });
    return out;
  }

  async loadOptimizerState(s: Record<string, HostTensor>): Promise<void> {
    const step = s['step'];
    if (!step) throw new TraceError(`loadOptimizerState: missing 'step' (keys: ${Object.keys(s).join(', ')})`);
    this.keys.forEach((k, i) => {
      for (const name of [`exp_avg:${k}`, `exp_avg_sq:${k}`]) {
        const t = s[name];
        const want = this.params[i]!.shape;
        if (!t || t.dtype !== 'float32' || t.shape.length !== want.length || t.shape.some((d, j) => d !== want[j])) {
          throw new TraceError(`loadOptimizerState: '${name}' must be a float32 tensor of shape [${want.join(', ')}]`);
        }
      }
    });
    const m = new Float32Array(this.total);
    const v = new Float32Array(this.total);
    this.keys.forEach((k, i) => {
      m.set(s[`exp_avg:${k}`]!.data as Float32Array, this.offsets[i]!);
      v.set(s[`exp_avg_sq:${k}`]!.data as Float32Array, this.offsets[i]!);
    });
    this.step = step.item();
    for (const t of [this.m, this.v]) if (t.location === 'gpu-buffer') t.dispose();
    this.m = toOrt(HostTensor.from(m, [this.total]));
    this.v = toOrt(HostTensor.from(v, [this.total]));
  }
}
