/**
 * The onnx engine: traces `fn` on symbolic tensors once per input-shape
 * signature, differentiates the trace itself, appends the optimizer, and runs
 * the serialized graph with onnxruntime-node.
 *
 * Variable values live in host memory shared with onnxruntime (inputs wrap
 * `Variable.value.data`, updated values adopt onnxruntime's output buffers,
 * with no copies beyond onnxruntime's own), so parameters and buffers are current after every run and
 * `sync()` has nothing to do; Adam moments stay as ort tensors in the step,
 * in GPU memory on the webgpu device (read back only by optimizerState).
 */
import os from 'node:os';
import { checkTrainable } from '../engine.js';
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
import { WEBGPU_HINT } from './webgpu.js';
import { checkDevice, createSession, fromOrt, OnnxDeviceError, ort, probeCuda, probeWebGpu, toOrt, type OnnxDevice, type WebGpuLayout } from './session.js';
import { signature, specsOf, trace, uniqueKeys, type Traced } from './trace.js';
import { ProgramCache, type Prepared, type Program } from './programs.js';

export interface OnnxEngineOptions {
  /**
   * Default 'cpu'. 'cuda' needs onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12;
   * 'webgpu' needs a Vulkan driver (see WEBGPU_HINT) and runs nodes without a WebGPU kernel on the CPU.
   */
  device?: OnnxDevice;
  /** intra-op threads; default os.cpus().length. */
  threads?: number;
  /**
   * Debug hook, default none: called with each program's serialized ONNX model
   * before its session starts (node-placement reports, model dumps).
   */
  onModel?: (model: Uint8Array) => void;
  /** The WebGPU provider's layout; default 'NCHW' (see WebGpuLayout). */
  webgpuLayout?: WebGpuLayout;
}

type TraceFn<I extends Inputs, O> = (ops: Ops, inputs: TensorInputs<I>) => O;
type Feeds = Record<string, ort.Tensor>;

export class OnnxEngine implements Engine {
  readonly name = 'onnx' as const;
  private readonly sessions = new Set<ort.InferenceSession>();

  constructor(
    readonly device: OnnxDevice,
    private readonly threads: number,
    private readonly onModel?: (model: Uint8Array) => void,
    private readonly webgpuLayout: WebGpuLayout = 'NCHW',
  ) {}

  /** Bakes `constant` variables (every unassigned one when `frozen`) except those `fed`. */
  private async build(prep: Prepared, frozen: boolean): Promise<Program> {
    const { traced, extra, fed } = prep;
    const assigns = traced.assigns.map((a) => ({ name: a.name, sym: a.sym }));
    const assigned = new Set(traced.assigns.map((a) => a.variable));
    const baked = new Map<Variable, HostTensor<'float32'>>();
    const bake = new Map<string, HostTensor['data']>();
    for (const [v, { name }] of traced.variables) {
      if (!(frozen || v.constant) || assigned.has(v) || fed.has(v)) continue;
      baked.set(v, v.value);
      bake.set(name, v.value.data);
    }
    const webgpu = this.device === 'webgpu';
    const bytes = serializeGraph(traced.graph, [...traced.outputs, ...extra, ...assigns], { ...(bake.size > 0 ? { bake } : {}), webgpu });
    this.onModel?.(bytes);
    const deviceOutputs = webgpu ? prep.deviceOutputs : undefined;
    const session = await createSession(bytes, {
      device: this.device, threads: this.threads, webgpuLayout: this.webgpuLayout, ...(deviceOutputs ? { deviceOutputs } : {}),
    });
    this.sessions.add(session);
    return { session, traced, userOutputs: traced.outputs.map((o) => o.name), baked, declared: new Set(session.inputNames) };
  }

  private programs<I extends Inputs>(prepare: (inputs: I) => Prepared, frozen = false) {
    const cache = new ProgramCache<I>(prepare, (prep) => this.build(prep, frozen), (p) => this.release(p));
    return <T>(inputs: I, f: (p: Program) => Promise<T>): Promise<T> => cache.use(signature(specsOf(inputs)), inputs, f);
  }

  private async release(p: Program): Promise<void> {
    this.sessions.delete(p.session);
    await p.session.release();
  }

  private async execute(p: Program, inputs: Inputs, extraFeeds: Feeds = {}): Promise<Record<string, ort.Tensor>> {
    // a baked graph declares only the inputs its outputs need: feed those
    const feeds: Feeds = {};
    for (const [name, t] of Object.entries(extraFeeds)) if (p.declared.has(name)) feeds[name] = t;
    for (const [host, { name }] of p.traced.inputs) if (p.declared.has(name)) feeds[name] = toOrt(inputs[host]!);
    for (const [v, { name }] of p.traced.variables) if (p.declared.has(name)) feeds[name] ??= toOrt(v.value);
    const res = (await this.runSession(p.session, feeds)) as Record<string, ort.Tensor>;
    for (const a of p.traced.assigns) a.variable.value = fromOrt(res[a.name]!) as HostTensor<'float32'>;
    return res;
  }

  /** A WebGPU failure during a run (device lost, out of GPU memory) becomes an OnnxDeviceError with the fix. */
  private async runSession(session: ort.InferenceSession, feeds: Feeds): Promise<ort.InferenceSession.ReturnType> {
    try {
      return await session.run(feeds);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (this.device === 'webgpu' && /webgpu|device (was )?lost|dawn|vulkan|out of memory/i.test(msg)) {
        throw new OnnxDeviceError(`onnx engine: the WebGPU device failed during a run (${msg.split('\n')[0]}); ${WEBGPU_HINT}`);
      }
      throw e;
    }
  }

  private userOutputs<O>(p: Program, res: Record<string, ort.Tensor>, extra: readonly string[] = []): HostOutputs<O> {
    const out: Record<string, HostTensor> = {};
    for (const name of [...p.userOutputs, ...extra]) out[name] = fromOrt(res[name]!);
    return out as HostOutputs<O>;
  }

  compile<I extends Inputs, O extends Outputs>(fn: TraceFn<I, O>, opts: CompileOptions = {}): CompiledFn<I, O> {
    const withProgram = this.programs<I>((inputs) => ({ traced: trace(fn as never, specsOf(inputs)), extra: [], fed: new Set() }), opts.frozen ?? false);
    return {
      run: (inputs) => withProgram(inputs, async (p) => this.userOutputs<O>(p, await this.execute(p, inputs))),
    };
  }

  valueAndGrad<I extends Inputs, O extends Outputs & { loss: Tensor }>(
    fn: TraceFn<I, O>,
    wrt: { inputs?: readonly (keyof I & string)[]; variables?: readonly Variable[] },
  ): CompiledFn<I, O & Record<string, Tensor>> & { readonly gradKeys: readonly string[] } {
    const inNames = wrt.inputs ?? [];
    const vars = wrt.variables ?? [];
    const gradKeys = [...inNames.map((n) => `grad:${n}`), ...uniqueKeys(vars).map((k) => `grad:${k}`)];
    const withProgram = this.programs<I>((inputs) => {
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
      return { traced, extra: grads.map((sym, i) => ({ name: gradKeys[i]!, sym })), fed: new Set(vars) };
    });
    return {
      gradKeys,
      run: (inputs) =>
        withProgram(inputs, async (p) => this.userOutputs<O & Record<string, Tensor>>(p, await this.execute(p, inputs), gradKeys)),
    };
  }

  compileTrainStep<I extends Inputs, O extends Outputs & { loss: Tensor }>(
    fn: TraceFn<I, O>,
    params: readonly Variable[],
    optimizer: AdamConfig,
  ): TrainStep<I, O> {
    checkAdamConfig(optimizer);
    if (new Set(params).size !== params.length) throw new TraceError('compileTrainStep: a parameter is listed twice');
    checkTrainable(params);
    const keys = uniqueKeys(params);
    // Moments live in two flat buffers (see appendAdam); checkpoints see them per parameter.
    const { offsets, total } = flatLayout(params.map((v) => v.shape));
    const slotNames = keys.flatMap((k) => [`exp_avg:${k}`, `exp_avg_sq:${k}`]);
    const state = { step: 0, m: toOrt(HostTensor.zeros([total])), v: toOrt(HostTensor.zeros([total])) };
    const withProgram = this.programs<I>((inputs) => {
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
      // Adam's moments stay in GPU memory between steps (read back only for checkpoints)
      return { traced, extra, fed: new Set(params), deviceOutputs: [`new:${M_INPUT}`, `new:${V_INPUT}`] };
    });
    const perParam = (data: Float32Array, i: number): HostTensor => {
      const n = offsets[i + 1] ?? total;
      return new HostTensor(params[i]!.shape, data.slice(offsets[i]!, n), 'float32');
    };
    return {
      run: (inputs, opts): Promise<StepResult<O>> => withProgram(inputs, async (p) => {
        const step = state.step + 1;
        const feeds: Feeds = { [M_INPUT]: state.m, [V_INPUT]: state.v };
        feeds[LR_INPUT] = toOrt(HostTensor.from([opts?.lr ?? optimizer.lr], []));
        feeds[STEP_INPUT] = toOrt(HostTensor.from([step], []));
        const res = await this.execute(p, inputs, feeds);
        state.step = step;
        params.forEach((v, i) => {
          v.value = fromOrt(res[`new:${keys[i]}`]!) as HostTensor<'float32'>;
        });
        const [oldM, oldV] = [state.m, state.v];
        state.m = res[`new:${M_INPUT}`]!;
        state.v = res[`new:${V_INPUT}`]!;
        // GPU buffers are freed now rather than whenever the GC finalizes them
        for (const t of [oldM, oldV]) if (t.location === 'gpu-buffer') t.dispose();
        return { outputs: this.userOutputs<O>(p, res), gradNorm: (res['opt:gradNorm']!.data as Float32Array)[0]! };
      }),
      optimizerState: async () => {
        const out: Record<string, HostTensor> = { step: HostTensor.from([state.step], [1]) };
        const [m, v] = [await this.download(state.m), await this.download(state.v)];
        keys.forEach((k, i) => {
          out[`exp_avg:${k}`] = perParam(m, i);
          out[`exp_avg_sq:${k}`] = perParam(v, i);
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
        for (const t of [state.m, state.v]) if (t.location === 'gpu-buffer') t.dispose();
        state.m = toOrt(HostTensor.from(m, [total]));
        state.v = toOrt(HostTensor.from(v, [total]));
      },
    };
  }

  private readonly downloaders = new Map<number, Promise<ort.InferenceSession>>();

  /**
   * A float32 tensor's values on the host. onnxruntime-node 1.30 cannot read a
   * 'gpu-buffer' tensor itself (its download() throws a native exception that
   * aborts the process), so an Identity session with CPU outputs copies it.
   */
  private async download(t: ort.Tensor): Promise<Float32Array> {
    if (t.location !== 'gpu-buffer') return t.data as Float32Array;
    const n = t.dims.reduce((a, b) => a * b, 1);
    let s = this.downloaders.get(n);
    if (!s) {
      const g = new Graph();
      const x = g.input('x', [n], 'float32');
      s = createSession(serializeGraph(g, [{ name: 'y', sym: g.emit('StopGradient', [x], {}, [n], 'float32') }]), { device: this.device, threads: 1 });
      this.downloaders.set(n, s);
      this.sessions.add(await s);
    }
    const out = await (await s).run({ x: t });
    return out['y']!.data as Float32Array;
  }

  async sync(): Promise<void> {
    // variables are written back to Variable.value after every run (see the file comment)
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions];
    this.sessions.clear();
    this.downloaders.clear();
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

/** The onnx engine on the CPU (default), CUDA or WebGPU execution provider; a GPU device that does not start throws OnnxDeviceError. */
export async function createOnnxEngine(opts: OnnxEngineOptions = {}): Promise<Engine> {
  const device = opts.device ?? 'cpu';
  checkDevice(device);
  if (device === 'cuda') await probeCuda(probeModel());
  if (device === 'webgpu') await probeWebGpu(probeModel());
  return new OnnxEngine(device, opts.threads ?? os.cpus().length, opts.onModel, opts.webgpuLayout ?? 'NCHW');
}

/** The probe model's bytes (y = x + 1 on [1]), for device checks outside the engine. */
export function deviceProbeModel(): Uint8Array {
  return probeModel();
}
