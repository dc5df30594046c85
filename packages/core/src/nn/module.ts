/**
 * Module: a tree of named Variables with PyTorch-compatible dotted keys, so a
 * `stateDict()` written here loads in PyTorch and vice versa.
 * Forward functions are ordinary methods taking `ops` first; modules never
 * hold engine tensors.
 */
import { HostTensor, sizeOf, type Shape } from '../tensor.js';
import { Variable } from './variable.js';

export class StateDictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateDictError';
  }
}

export abstract class Module {
  private readonly vars = new Map<string, Variable>();
  private readonly kids = new Map<string, Module>();
  training = true;

  protected param(name: string, value: HostTensor<'float32'>): Variable {
    const v = new Variable(value, true, name);
    this.vars.set(name, v);
    return v;
  }

  protected buffer(name: string, value: HostTensor<'float32'>): Variable {
    const v = new Variable(value, false, name);
    this.vars.set(name, v);
    return v;
  }

  protected child<M extends Module>(name: string, m: M): M {
    this.kids.set(name, m);
    return m;
  }

  /** Registers modules under "name.0", "name.1", ... (nn.ModuleList keys). */
  protected children<M extends Module>(name: string, ms: M[]): M[] {
    ms.forEach((m, i) => this.kids.set(`${name}.${i}`, m));
    return ms;
  }

  /** All variables with their full dotted keys (keys are also stored on each Variable). */
  namedVariables(prefix = ''): [string, Variable][] {
    const out: [string, Variable][] = [];
    for (const [n, v] of this.vars) {
      v.key = prefix + n;
      out.push([v.key, v]);
    }
    for (const [n, m] of this.kids) out.push(...m.namedVariables(`${prefix}${n}.`));
    return out;
  }

  parameters(): Variable[] {
    return this.namedVariables().filter(([, v]) => v.trainable).map(([, v]) => v);
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

  /** strict: every key must match both ways, with equal shapes. */
  loadStateDict(sd: Record<string, HostTensor>, strict = true): void {
    const named = new Map(this.namedVariables());
    const missing = [...named.keys()].filter((k) => !(k in sd));
    const unexpected = Object.keys(sd).filter((k) => !named.has(k));
    if (strict && (missing.length || unexpected.length)) {
      throw new StateDictError(
        `loadStateDict: missing keys [${missing.join(', ')}], unexpected keys [${unexpected.join(', ')}]`,
      );
    }
    for (const [k, v] of named) {
      const t = sd[k];
      if (!t) continue;
      if (!sameShape(t.shape, v.shape)) {
        throw new StateDictError(`loadStateDict: ${k} expects shape [${v.shape.join(', ')}], got [${t.shape.join(', ')}]`);
      }
      v.value = new HostTensor(t.shape, Float32Array.from(t.data), 'float32');
    }
  }
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
