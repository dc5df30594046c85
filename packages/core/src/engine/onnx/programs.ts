/**
 * The onnx engine's compiled programs, one per input signature, with baked
 * variables kept current. A program bakes the variables it may (frozen
 * compiles: every variable read and not assigned; otherwise those marked
 * `constant`), so when host code replaces a baked variable's value the
 * program is rebuilt from the same trace, and the replaced program's session
 * is released once no run is still using it.
 */
import type * as ort from 'onnxruntime-node';
import type { Variable } from '../../nn/variable.js';
import type { HostTensor } from '../../tensor.js';
import type { HostOutputs } from '../engine.js';
import { fromOrt } from './session.js';
import type { NamedOutput } from './serialize.js';
import type { Traced } from './trace.js';

export interface Program {
  readonly session: ort.InferenceSession;
  readonly traced: Traced;
  readonly userOutputs: readonly string[];
  /** The variable values baked into the graph (not fed). */
  readonly baked: ReadonlyMap<Variable, HostTensor<'float32'>>;
  /** The graph's inputs (a baked graph declares only those its outputs need). */
  readonly declared: ReadonlySet<string>;
}

/** The host values of the program's user outputs (and of `extra` outputs, e.g. gradients). */
export function hostOutputs<O>(p: Program, res: Record<string, ort.Tensor>, extra: readonly string[] = []): HostOutputs<O> {
  const out: Record<string, HostTensor> = {};
  for (const name of [...p.userOutputs, ...extra]) out[name] = fromOrt(res[name]!);
  return out as HostOutputs<O>;
}

/** True while every baked variable still holds the value baked. */
function isCurrent(p: Program): boolean {
  for (const [v, value] of p.baked) if (v.value !== value) return false;
  return true;
}

/** A traced function with its extra outputs (gradients, optimizer state) and the variables it must feed. */
export interface Prepared {
  readonly traced: Traced;
  readonly extra: readonly NamedOutput[];
  /** Variables that stay graph inputs even when bakeable (gradient targets, trained parameters). */
  readonly fed: ReadonlySet<Variable>;
  /** Outputs left in device memory on a GPU device (fed back to the next run, read only on demand). */
  readonly deviceOutputs?: readonly string[];
}

export type BuildProgram = (prepared: Prepared) => Promise<Program>;

export class ProgramCache<K> {
  private readonly prepared = new Map<string, Prepared>();
  private readonly programs = new Map<string, Promise<Program>>();
  private readonly inflight = new Map<Program, number>();
  private readonly retired = new Set<Program>();

  constructor(
    private readonly prepare: (inputs: K) => Prepared,
    private readonly build: BuildProgram,
    private readonly release: (p: Program) => Promise<void>,
  ) {}

  /** Runs `f` on the current program for `inputs` (built, or rebuilt, as needed). */
  async use<T>(key: string, inputs: K, f: (p: Program) => Promise<T>): Promise<T> {
    const p = await this.current(key, inputs);
    this.inflight.set(p, (this.inflight.get(p) ?? 0) + 1);
    try {
      return await f(p);
    } finally {
      await this.settle(p);
    }
  }

  private async current(key: string, inputs: K): Promise<Program> {
    const cached = this.programs.get(key);
    if (cached) {
      const p = await cached;
      if (isCurrent(p)) return p;
      if (this.programs.get(key) === cached) {
        this.programs.delete(key);
        this.retired.add(p);
        if (!this.inflight.has(p)) await this.settle(p);
      }
      return this.current(key, inputs);
    }
    let prep = this.prepared.get(key);
    if (!prep) {
      prep = this.prepare(inputs);
      this.prepared.set(key, prep);
    }
    const made = this.build(prep);
    this.programs.set(key, made);
    made.catch(() => this.programs.delete(key));
    return made;
  }

  private async settle(p: Program): Promise<void> {
    const n = (this.inflight.get(p) ?? 1) - 1;
    if (n > 0) return void this.inflight.set(p, n);
    this.inflight.delete(p);
    if (this.retired.delete(p)) await this.release(p);
  }
}
