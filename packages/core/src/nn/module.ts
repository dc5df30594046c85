/**
 * Module: a tree of named Variables with PyTorch-compatible dotted keys, so a
 * `stateDict()` written here loads in PyTorch and vice versa.
 * Forward functions are ordinary methods taking `ops` first; modules never
 * hold engine tensors.
 */
import { HostTensor, sizeOf, type Shape } from '../tensor.js';
import { Variable } from './variable.js';

export class StateDictError extends Error {
  constructor(
    message: string,
    readonly missing: string[] = [],
    readonly unexpected: string[] = [],
    readonly wrongShape: string[] = [],
  ) {
    super(message);
    this.name = 'StateDictError';
  }
}

export abstract class Module {
  private readonly vars = new Map<string, Variable>();
  private readonly kids = new Map<string, Module>();
  /** Where this module hangs in a bigger tree, so variable keys are full paths from the root. */
  private parentRef: { module: Module; name: string } | undefined;
  training = true;

  protected param(name: string, value: HostTensor<'float32'>): Variable {
    const v = new Variable(value, true, this.pathFromRoot() + name);
    this.vars.set(name, v);
    return v;
  }

  protected buffer(name: string, value: HostTensor<'float32'>): Variable {
    const v = new Variable(value, false, this.pathFromRoot() + name);
    this.vars.set(name, v);
    return v;
  }

  protected child<M extends Module>(name: string, m: M): M {
    this.kids.set(name, m);
    m.parentRef = { module: this, name };
    this.nameVariables();
    return m;
  }

  /** Registers modules under "name.0", "name.1", ... (nn.ModuleList keys). */
  protected children<M extends Module>(name: string, ms: M[]): M[] {
    ms.forEach((m, i) => this.child(`${name}.${i}`, m));
    return ms;
  }

  /** The dotted path of this module from the root of its tree ('' at the root, else ending in '.'). */
  private pathFromRoot(): string {
    const p = this.parentRef;
    return p ? `${p.module.pathFromRoot()}${p.name}.` : '';
  }

  /**
   * Sets every variable's `key` to its full dotted path from the root module,
   * so keys are unique in a tree whichever subtree is asked (engines name graph
   * inputs and gradients by them). Runs whenever a child is attached.
   */
  private nameVariables(rootPrefix = ''): void {
    const base = this.parentRef ? this.pathFromRoot() : rootPrefix;
    for (const [rel, v] of this.collect('')) v.key = base + rel;
  }

  private collect(prefix: string): [string, Variable][] {
    const out: [string, Variable][] = [];
    for (const [n, v] of this.vars) out.push([prefix + n, v]);
    for (const [n, m] of this.kids) out.push(...m.collect(`${prefix}${n}.`));
    return out;
  }

  /**
   * All variables keyed `prefix` + their path in this module (a state dict's
   * keys). Each Variable's own `key` becomes its full path from the root of
   * the tree; on a root module, `prefix` is part of that key (so separate
   * root modules fed to one engine can be kept apart: 'encoder.', 'decoder.').
   */
  namedVariables(prefix = ''): [string, Variable][] {
    this.nameVariables(prefix);
    return this.collect(prefix);
  }

  /** Trainable variables, less those marked constant (pretrained weights kept fixed). */
  parameters(): Variable[] {
    return this.namedVariables().filter(([, v]) => v.trainable && !v.constant).map(([, v]) => v);
  }

  /**
   * Marks every variable of this subtree constant (see `Variable.constant`):
   * for pretrained networks used as fixed functions, e.g. LPIPS inside a
   * training loss. They leave `parameters()` and are baked into onnx graphs.
   */
  markConstant(): this {
    for (const [, v] of this.namedVariables()) v.constant = true;
    return this;
  }

  buffers(): Variable[] {
    return this.namedVariables().filter(([, v]) => !v.trainable).map(([, v]) => v);
  }

  parameterCount(): number {
    return this.parameters().reduce((n, v) => n + sizeOf(v.shape), 0);
  }

  train(on = true): this {
    this.training = on;
    for (const m of this.kids.values()) m.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  stateDict(): Record<string, HostTensor<'float32'>> {
    const out: Record<string, HostTensor<'float32'>> = {};
    for (const [k, v] of this.namedVariables()) out[k] = v.value.clone();
    return out;
  }

  /**
   * strict: every key must match both ways. Shapes must always match. One
   * StateDictError lists every missing key, unexpected key and wrong shape.
   */
  loadStateDict(sd: Record<string, HostTensor>, strict = true): void {
    const named = new Map(this.namedVariables());
    const missing = strict ? [...named.keys()].filter((k) => !(k in sd)) : [];
    const unexpected = strict ? Object.keys(sd).filter((k) => !named.has(k)) : [];
    const wrongShape = [...named]
      .filter(([k, v]) => sd[k] && !sameShape(sd[k].shape, v.shape))
      .map(([k, v]) => `${k} expects [${v.shape.join(', ')}], got [${sd[k]!.shape.join(', ')}]`);
    if (missing.length || unexpected.length || wrongShape.length) {
      const parts = [
        missing.length ? `missing keys [${missing.join(', ')}]` : '',
        unexpected.length ? `unexpected keys [${unexpected.join(', ')}]` : '',
        wrongShape.length ? `wrong shapes [${wrongShape.join('; ')}]` : '',
      ].filter(Boolean);
      throw new StateDictError(`loadStateDict: ${parts.join(', ')}`, missing, unexpected, wrongShape);
    }
    for (const [k, v] of named) {
      const t = sd[k];
      if (t) v.value = new HostTensor(t.shape, Float32Array.from(t.data), 'float32');
    }
  }
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
