/**
 * Reverse-mode differentiation of a traced graph: walks the nodes between
 * the wrt tensors and the loss backwards, applies the VJP table and
 * accumulates cotangents, appending the backward pass to the same graph.
 *
 * Calls nest (ops.grad inside a function that valueAndGrad differentiates):
 * each call snapshots the nodes that exist when it starts, so an outer call
 * also walks the backward nodes an inner call appended, and its `active`
 * set, grown from its own wrt (e.g. D's parameters), reaches them through
 * the weights they read. Every op a VJP rule emits therefore has a VJP rule
 * itself (ScatterAdd included), and rules build only from traced ops.
 */
import { TraceError, type Sym, type SymOps } from './ir.js';
import { VJP } from './vjp.js';

/** d(loss)/d(wrt[i]) for each i; zeros where the loss does not depend on it. */
export function gradients(o: SymOps, loss: Sym, wrt: readonly Sym[]): Sym[] {
  if (loss.shape.length !== 0 && !(loss.shape.length === 1 && loss.shape[0] === 1)) {
    throw new TraceError(`gradients: the loss must be a scalar, got shape [${loss.shape.join(', ')}]`);
  }
  const nodes = [...o.graph.nodes];
  // values that depend (differentiably) on a wrt tensor
  const active = new Set(wrt.map((s) => s.id));
  for (const n of nodes) {
    if (n.output.dtype !== 'float32' || n.op === 'StopGradient') continue;
    if (n.inputs.some((s) => active.has(s.id))) active.add(n.output.id);
  }
  const cot = new Map<number, Sym>();
  cot.set(loss.id, o.ones(loss.shape));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    const g = cot.get(n.output.id);
    if (!g || !active.has(n.output.id)) continue;
    const needs = n.inputs.map((s) => active.has(s.id) && s.dtype === 'float32');
    if (!needs.some(Boolean)) continue;
    const rule = VJP[n.op];
    if (!rule) throw new TraceError(`autodiff: no gradient rule for primitive '${n.op}'`);
    const grads = rule({ o, g, x: n.inputs, y: n.output, attrs: n.attrs, needs });
    n.inputs.forEach((s, k) => {
      const gk = grads[k];
      if (!needs[k] || !gk) return;
      const prev = cot.get(s.id);
      cot.set(s.id, prev ? o.add(prev, gk) : gk);
    });
  }
  return wrt.map((s) => cot.get(s.id) ?? o.zeros(s.shape));
}
