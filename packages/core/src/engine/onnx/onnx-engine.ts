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
import type { AdamConfig, CompiledFn, CompileOptions, Engine, Inputs, Outputs, TrainStep } from '../engine.js';
import type { Tensor } from '../../ops.js';
import { HostTensor } from '../../tensor.js';
import type { Variable } from '../../nn/variable.js';
import { Graph, TraceError } from './ir.js';
import { gradients } from './autodiff.js';
import { checkAdamConfig } from './adam.js';
import { serializeGraph } from './serialize.js';
import { WEBGPU_HINT } from './webgpu.js';
import { checkDevice, createSession, fromOrt, OnnxDeviceError, ort, probeCuda, probeWebGpu, toOrt, type OnnxDevice, type WebGpuLayout } from './session.js';
import { lossOf, signature, specsOf, trace, uniqueKeys, type TraceFn } from './trace.js';
import { hostOutputs, ProgramCache, type Prepared, type Program } from './programs.js';
import { OnnxTrainStep, type StepHost } from './train-step.js';

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
  /** onnxruntime's memory pattern; default false (see SessionOptions.memPattern). */
  memPattern?: boolean;
  /** Spinning intra-op threads; default false (see SessionOptions.spinning). */
  spinning?: boolean;
}

type Feeds = Record<string, ort.Tensor>;

export class OnnxEngine implements Engine {
  readonly name = 'onnx' as const;
  private readonly sessions = new Set<ort.InferenceSession>();

  constructor(
    readonly device: OnnxDevice,
    private readonly threads: number,
    private readonly onModel?: (model: Uint8Array) => void,
    private readonly webgpuLayout: WebGpuLayout = 'NCHW',
    private readonly memPattern = false,
    private readonly spinning = false,
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
      device: this.device, threads: this.threads, webgpuLayout: this.webgpuLayout, memPattern: this.memPattern, spinning: this.spinning, ...(deviceOutputs ? { deviceOutputs } : {}),
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

  compile<I extends Inputs, O extends Outputs>(fn: TraceFn<I, O>, opts: CompileOptions = {}): CompiledFn<I, O> {
    const withProgram = this.programs<I>((inputs) => ({ traced: trace(fn as never, specsOf(inputs)), extra: [], fed: new Set() }), opts.frozen ?? false);
    return {
      run: (inputs) => withProgram(inputs, async (p) => hostOutputs<O>(p, await this.execute(p, inputs))),
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
        withProgram(inputs, async (p) => hostOutputs<O & Record<string, Tensor>>(p, await this.execute(p, inputs), gradKeys)),
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
    const host: StepHost = {
      programs: (prepare) => this.programs(prepare),
      execute: (p, inputs, feeds) => this.execute(p, inputs, feeds),
      download: (t) => this.download(t),
    };
    return new OnnxTrainStep(host, fn, params, optimizer);
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

/** The onnx engine on the CPU (default), CUDA or WebGPU execution provider; a GPU device that does not start throws OnnxDeviceError. */
export async function createOnnxEngine(opts: OnnxEngineOptions = {}): Promise<Engine> {
  const device = opts.device ?? 'cpu';
  checkDevice(device);
  if (device === 'cuda') await probeCuda(probeModel());
  if (device === 'webgpu') await probeWebGpu(probeModel());
  return new OnnxEngine(device, opts.threads ?? os.cpus().length, opts.onModel, opts.webgpuLayout ?? 'NCHW', opts.memPattern ?? false, opts.spinning ?? false);
}

/** The probe model's bytes (y = x + 1 on [1]), for device checks outside the engine. */
export function deviceProbeModel(): Uint8Array {
  return probeModel();
}
