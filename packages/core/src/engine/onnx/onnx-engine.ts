/**
 * The onnx engine: traces `fn` on symbolic tensors once per input-shape
 * signature, differentiates the trace itself, appends the optimizer, and runs
 * the serialized graph with onnxruntime-node.
 *
 * Variable values live in host memory shared with onnxruntime (inputs wrap
 * `Variable.value.data`, updated values adopt onnxruntime's output buffers,
 * with no copies beyond onnxruntime's own), so parameters and buffers are current after every run and
 * `sync()` has nothing to do; Adam moments stay as ort tensors in the step.
 */
import os from 'node:os';
import type {
  AdamConfig, CompiledFn, CompileOptions, Engine, HostOutputs, Inputs, Outputs, StepResult, TensorInputs, TrainStep,
} from '../engine.js';
import type { Ops, Tensor } from '../../ops.js';
import { HostTensor } from '../../tensor.js';
import type { Variable } from '../../nn/variable.js';
import { Graph, TraceError, type Sym } from './ir.js';
import { gradients } from './autodiff.js';
import { appendAdam, checkAdamConfig, flatLayout, LR_INPUT, M_INPUT, STEP_INPUT, V_INPUT } from './adam.js';
import { serializeGraph, type NamedOutput } from './serialize.js';
import { checkDevice, createSession, fromOrt, ort, probeCuda, toOrt, type OnnxDevice } from './session.js';
import { signature, specsOf, trace, uniqueKeys, type Traced } from './trace.js';

export interface OnnxEngineOptions {
  /** Default 'cpu'. 'cuda' needs onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12. */
  device?: OnnxDevice;
  /** intra-op threads; default os.cpus().length. */
  threads?: number;
}

type TraceFn<I extends Inputs, O> = (ops: Ops, inputs: TensorInputs<I>) => O;
type Feeds = Record<string, ort.Tensor>;

/** A compiled graph plus how to feed it and where its extra outputs go. */
interface Program {
  readonly session: ort.InferenceSession;
  readonly traced: Traced;
  readonly userOutputs: readonly string[];
  /** Frozen compiles: the variable values baked into the graph (fed no more). */
  readonly baked?: ReadonlyMap<Variable, HostTensor<'float32'>>;
}

export class OnnxEngine implements Engine {
  readonly name = 'onnx' as const;
  private readonly sessions = new Set<ort.InferenceSession>();

  constructor(
    readonly device: OnnxDevice,
    private readonly threads: number,
  ) {}

  private async build(traced: Traced, extra: readonly NamedOutput[], frozen = false): Promise<Program> {
    const assigns = traced.assigns.map((a) => ({ name: a.name, sym: a.sym }));
    let baked: Map<Variable, HostTensor<'float32'>> | undefined;
    let bake: Map<string, HostTensor['data']> | undefined;
    if (frozen) {
      baked = new Map();
      bake = new Map();
      const assigned = new Set(traced.assigns.map((a) => a.variable));
      for (const [v, { name }] of traced.variables) {
        if (assigned.has(v)) continue;
        baked.set(v, v.value);
        bake.set(name, v.value.data);
      }
    }
    const bytes = serializeGraph(traced.graph, [...traced.outputs, ...extra, ...assigns], bake ? { bake } : {});
    const session = await createSession(bytes, { device: this.device, threads: this.threads });
    this.sessions.add(session);
    return { session, traced, userOutputs: traced.outputs.map((o) => o.name), ...(baked ? { baked } : {}) };
  }

  private async release(p: Program): Promise<void> {
    this.sessions.delete(p.session);
    await p.session.release();
  }

  private async execute(p: Program, inputs: Inputs, extraFeeds: Feeds = {}): Promise<Record<string, ort.Tensor>> {
    const feeds: Feeds = { ...extraFeeds };
    for (const [host, { name }] of p.traced.inputs) feeds[name] = toOrt(inputs[host]!);
    for (const [v, { name }] of p.traced.variables) if (!p.baked?.has(v)) feeds[name] ??= toOrt(v.value);
    if (p.baked) {
      // a baked graph declares only the inputs its outputs need
      const declared = new Set(p.session.inputNames);
      for (const name of Object.keys(feeds)) if (!declared.has(name)) delete feeds[name];
    }
    const res = (await p.session.run(feeds)) as Record<string, ort.Tensor>;
    for (const a of p.traced.assigns) a.variable.value = fromOrt(res[a.name]!) as HostTensor<'float32'>;
    return res;
  }

  private userOutputs<O>(p: Program, res: Record<string, ort.Tensor>, extra: readonly string[] = []): HostOutputs<O> {
    const out: Record<string, HostTensor> = {};
    for (const name of [...p.userOutputs, ...extra]) out[name] = fromOrt(res[name]!);
    return out as HostOutputs<O>;
  }

  /** Memoizes one program per input signature. */
  private cached<I extends Inputs>(make: (inputs: I) => Promise<Program>): (inputs: I) => Promise<Program> {
    const cache = new Map<string, Promise<Program>>();
    return (inputs) => {
      const key = signature(specsOf(inputs));
      let p = cache.get(key);
      if (!p) {
        p = make(inputs);
        cache.set(key, p);
        p.catch(() => cache.delete(key));
      }
      return p;
    };
  }

  compile<I extends Inputs, O extends Outputs>(fn: TraceFn<I, O>, opts: CompileOptions = {}): CompiledFn<I, O> {
    if (!opts.frozen) {
      const program = this.cached<I>((inputs) => this.build(trace(fn as never, specsOf(inputs)), []));
      return {
        run: async (inputs) => {
          const p = await program(inputs);
          return this.userOutputs<O>(p, await this.execute(p, inputs));
        },
      };
    }
    // Frozen: one trace and program per input signature; the program is rebuilt from the
    // same trace when a baked variable's value is replaced, and a replaced program's
    // session is released once no run is using it.
    const traces = new Map<string, Traced>();
    const programs = new Map<string, Promise<Program>>();
    const inflight = new Map<Program, number>();
    const retired = new Set<Program>();
    const settle = async (p: Program) => {
      const n = (inflight.get(p) ?? 1) - 1;
      if (n > 0) return void inflight.set(p, n);
      inflight.delete(p);
      if (retired.delete(p)) await this.release(p);
    };
    const current = async (inputs: I): Promise<Program> => {
      const key = signature(specsOf(inputs));
      const cached = programs.get(key);
      if (cached) {
        const p = await cached;
        if ([...p.baked!].every(([v, value]) => v.value === value)) return p;
        if (programs.get(key) === cached) {
          programs.delete(key);
          retired.add(p);
          if (!inflight.has(p)) await settle(p);
        }
        return current(inputs);
      }
      let traced = traces.get(key);
      if (!traced) traces.set(key, (traced = trace(fn as never, specsOf(inputs))));
      const made = this.build(traced, [], true);
      programs.set(key, made);
      made.catch(() => programs.delete(key));
      return made;
    };
    return {
      run: async (inputs) => {
        const p = await current(inputs);
        inflight.set(p, (inflight.get(p) ?? 0) + 1);
        try {
          return this.userOutputs<O>(p, await this.execute(p, inputs));
        } finally {
          await settle(p);
        }
      },
    };
  }

  valueAndGrad<I extends Inputs, O extends Outputs & { loss: Tensor }>(
    fn: TraceFn<I, O>,
    wrt: { inputs?: readonly (keyof I & string)[]; variables?: readonly Variable[] },
  ): CompiledFn<I, O & Record<string, Tensor>> & { readonly gradKeys: readonly string[] } {
    const inNames = wrt.inputs ?? [];
    const vars = wrt.variables ?? [];
    const gradKeys = [...inNames.map((n) => `grad:${n}`), ...uniqueKeys(vars).map((k) => `grad:${k}`)];
    const program = this.cached<I>((inputs) => {
      const traced = trace(fn as never, specsOf(inputs));
      const loss = lossOf(traced);
      const targets = [
        ...inNames.map((n) => {
          const s = traced.inputs.get(n)?.sym;
          if (!s) throw new TraceError(`valueAndGrad: no input named '${n}' (inputs: ${[...traced.inputs.keys()].join(', ')})`);
          if (s.dtype !== 'float32') throw new TraceError(`valueAndGrad: input '${n}' is ${s.dtype}; gradients need float32`);
          return s;
        }),
        ...vars.map((v) => traced.ops.variable(v)),
      ];
      const grads = gradients(traced.ops, loss, targets);
      return this.build(traced, grads.map((sym, i) => ({ name: gradKeys[i]!, sym })));
    });
    return {
      gradKeys,
      run: async (inputs) => {
        const p = await program(inputs);
        return this.userOutputs<O & Record<string, Tensor>>(p, await this.execute(p, inputs), gradKeys);
      },
    };
  }

  compileTrainStep<I extends Inputs, O extends Outputs & { loss: Tensor }>(
    fn: TraceFn<I, O>,
    params: readonly Variable[],
    optimizer: AdamConfig,
  ): TrainStep<I, O> {
    checkAdamConfig(optimizer);
    if (new Set(params).size !== params.length) throw new TraceError('compileTrainStep: a parameter is listed twice');
    const keys = uniqueKeys(params);
    // Moments live in two flat buffers (see appendAdam); checkpoints see them per parameter.
    const { offsets, total } = flatLayout(params.map((v) => v.shape));
    const slotNames = keys.flatMap((k) => [`exp_avg:${k}`, `exp_avg_sq:${k}`]);
    const state = { step: 0, m: toOrt(HostTensor.zeros([total])), v: toOrt(HostTensor.zeros([total])) };
    const program = this.cached<I>((inputs) => {
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
      params.forEach((_, i) => extra.push({ name: `new:${keys[i]}`, sym: adam.newParams[i]! }));
      return this.build(traced, extra);
    });
    const perParam = (flat: ort.Tensor, i: number): HostTensor => {
      const data = flat.data as Float32Array;
      const n = offsets[i + 1] ?? total;
      return new HostTensor(params[i]!.shape, data.slice(offsets[i]!, n), 'float32');
    };
    return {
      run: async (inputs, opts): Promise<StepResult<O>> => {
        const p = await program(inputs);
        const step = state.step + 1;
        const feeds: Feeds = { [M_INPUT]: state.m, [V_INPUT]: state.v };
        feeds[LR_INPUT] = toOrt(HostTensor.from([opts?.lr ?? optimizer.lr], []));
        feeds[STEP_INPUT] = toOrt(HostTensor.from([step], []));
        const res = await this.execute(p, inputs, feeds);
        state.step = step;
        params.forEach((v, i) => {
          v.value = fromOrt(res[`new:${keys[i]}`]!) as HostTensor<'float32'>;
        });
        state.m = res[`new:${M_INPUT}`]!;
        state.v = res[`new:${V_INPUT}`]!;
        return { outputs: this.userOutputs<O>(p, res), gradNorm: (res['opt:gradNorm']!.data as Float32Array)[0]! };
      },
      optimizerState: async () => {
        const out: Record<string, HostTensor> = { step: HostTensor.from([state.step], [1]) };
        keys.forEach((k, i) => {
          out[`exp_avg:${k}`] = perParam(state.m, i);
          out[`exp_avg_sq:${k}`] = perParam(state.v, i);
        });
        return out;
      },
      loadOptimizerState: async (s) => {
        const step = s.step;
        if (!step) throw new TraceError(`loadOptimizerState: missing 'step' (keys: ${Object.keys(s).join(', ')})`);
        slotNames.forEach((name, j) => {
          const t = s[name];
          const want = params[j >> 1]!.shape;
          if (!t || t.dtype !== 'float32' || t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
            throw new TraceError(`loadOptimizerState: '${name}' must be a float32 tensor of shape [${want.join(', ')}]`);
          }
        });
        const m = new Float32Array(total);
        const v = new Float32Array(total);
        keys.forEach((k, i) => {
          m.set(s[`exp_avg:${k}`]!.data as Float32Array, offsets[i]!);
          v.set(s[`exp_avg_sq:${k}`]!.data as Float32Array, offsets[i]!);
        });
        state.step = step.item();
        state.m = toOrt(HostTensor.from(m, [total]));
        state.v = toOrt(HostTensor.from(v, [total]));
      },
    };
  }

  async sync(): Promise<void> {
    // variables are written back to Variable.value after every run (see the file comment)
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.release()));
  }
}

/** y = x + 1 on a [1] float tensor: the smallest model that exercises an execution provider. */
function probeModel(): Uint8Array {
  const g = new Graph();
  const x = g.input('x', [1], 'float32');
  const y = g.emit('Add', [x, g.constant(Float32Array.of(1), [], 'float32')], {}, [1], 'float32');
  return serializeGraph(g, [{ name: 'y', sym: y }]);
}

function lossOf(traced: Traced): Sym {
  const loss = traced.outputs.find((o) => o.name === 'loss');
  if (!loss) throw new TraceError(`the function must return a 'loss' output (got: ${traced.outputs.map((o) => o.name).join(', ')})`);
  return loss.sym;
}

/** The onnx engine on the CPU (default) or CUDA execution provider. */
export async function createOnnxEngine(opts: OnnxEngineOptions = {}): Promise<Engine> {
  const device = opts.device ?? 'cpu';
  checkDevice(device);
  if (device === 'cuda') await probeCuda(probeModel());
  return new OnnxEngine(device, opts.threads ?? os.cpus().length);
}
