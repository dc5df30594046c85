/**
 * Tracing a user function: graph inputs for the host inputs and for every
 * variable the function reads, named outputs for its results and for the
 * buffers it assigns.
 */
import type { Inputs, Outputs, TensorInputs } from '../engine.js';
import type { Ops, Tensor } from '../../ops.js';
import { ShapeError, type DType } from '../../tensor.js';
import type { Variable } from '../../nn/variable.js';
import { Graph, Sym, TraceError } from './ir.js';
import type { NamedOutput } from './serialize.js';
import { TraceOps } from './trace-ops.js';

export interface InputSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface Traced {
  readonly graph: Graph;
  readonly ops: TraceOps;
  /** Host input name -> its graph input (named `prefix + name`). */
  readonly inputs: ReadonlyMap<string, { name: string; sym: Sym }>;
  readonly outputs: NamedOutput[];
  /** Every variable read, with its graph input name. */
  readonly variables: Map<Variable, { name: string; sym: Sym }>;
  readonly assigns: { variable: Variable; name: string; sym: Sym }[];
}

export const variableName = (v: Variable, i: number): string => `var:${v.key || `unnamed${i}`}`;

/**
 * Variables are identified by object, not by key: two separately built
 * modules may both own a `conv_in.weight`. The second one read gets a suffix.
 */
function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}#${n}`;
  taken.add(name);
  return name;
}

/** Per-variable keys for optimizer slots and gradient outputs, unique even when `key`s repeat. */
export function uniqueKeys(vars: readonly Variable[]): string[] {
  const taken = new Set<string>();
  return vars.map((v, i) => uniqueName(v.key || `unnamed${i}`, taken));
}

export function specsOf(inputs: Inputs): InputSpec[] {
  return Object.keys(inputs)
    .sort()
    .map((name) => ({ name, shape: inputs[name]!.shape, dtype: inputs[name]!.dtype }));
}

export function signature(specs: readonly InputSpec[]): string {
  return specs.map((s) => `${s.name}:${s.dtype}[${s.shape.join(',')}]`).join(';');
}

/**
 * Traces `fn`. Host inputs become graph inputs named `inputPrefix + name`
 * (the engine uses 'in:' so outputs may reuse input names; export uses '').
 */
export function trace<O extends Outputs>(
  fn: (ops: Ops, inputs: Record<string, Tensor>) => O,
  specs: readonly InputSpec[],
  inputPrefix = 'in:',
): Traced {
  const graph = new Graph();
  const variables = new Map<Variable, { name: string; sym: Sym }>();
  const assigns: Traced['assigns'] = [];
  const taken = new Set<string>();
  const ops = new TraceOps(graph, {
    read(v) {
      let e = variables.get(v);
      if (!e) {
        const name = uniqueName(variableName(v, variables.size), taken);
        e = { name, sym: graph.input(name, v.shape, 'float32') };
        variables.set(v, e);
      }
      return e.sym;
    },
    assign(v, value) {
      if (value.shape.length !== v.shape.length || value.shape.some((d, i) => d !== v.shape[i])) {
        throw new ShapeError(`assign(${v.key || 'variable'})`, `[${v.shape.join(', ')}]`, value.shape);
      }
      const i = assigns.findIndex((a) => a.variable === v);
      const name = i >= 0 ? assigns[i]!.name : uniqueName(`assign:${v.key || `unnamed${assigns.length}`}`, taken);
      const entry = { variable: v, name, sym: ops.cast(value, 'float32') };
      if (i >= 0) assigns[i] = entry;
      else assigns.push(entry);
    },
  });
  const inputs = new Map<string, { name: string; sym: Sym }>();
  const symInputs: Record<string, Tensor> = {};
  for (const s of specs) {
    const sym = graph.input(inputPrefix + s.name, s.shape, s.dtype);
    inputs.set(s.name, { name: inputPrefix + s.name, sym });
    symInputs[s.name] = sym;
  }
  const result = fn(ops, symInputs);
  const outputs: NamedOutput[] = [];
  for (const [name, t] of Object.entries(result)) {
    if (!(t instanceof Sym)) throw new TraceError(`output '${name}' is not a tensor of this trace`);
    outputs.push({ name, sym: t });
  }
  return { graph, ops, inputs, outputs, variables, assigns };
}

/** A function written against Ops, as the engine's compile/valueAndGrad/compileTrainStep take it. */
export type TraceFn<I extends Inputs, O> = (ops: Ops, inputs: TensorInputs<I>) => O;

/** The traced `loss` output, which gradients start from. */
export function lossOf(traced: Traced): Sym {
  const loss = traced.outputs.find((o) => o.name === 'loss');
  if (!loss) throw new TraceError(`the function must return a 'loss' output (got: ${traced.outputs.map((o) => o.name).join(', ')})`);
  return loss.sym;
}
