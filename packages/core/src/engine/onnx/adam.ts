/**
 * Adam / AdamW appended to a traced training graph, following
 * torch.optim.Adam/AdamW (defaults beta1 0.9, beta2 0.999, eps 1e-8, weight
 * decay 0) and torch.nn.utils.clip_grad_norm_ (total L2 norm over all
 * gradients, scale by max_norm / (norm + 1e-6) when that is below 1).
 * The learning rate and the 1-based step count are graph inputs, so a
 * schedule never recompiles; moments are graph inputs and outputs.
 */
import type { AdamConfig } from '../engine.js';
import type { Sym } from './ir.js';
import type { TraceOps } from './trace-ops.js';

export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 } as const;

export class OptimizerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptimizerConfigError';
  }
}

export function checkAdamConfig(cfg: AdamConfig): void {
  if (cfg.kind !== 'adam' && cfg.kind !== 'adamw') {
    throw new OptimizerConfigError(`optimizer kind '${String(cfg.kind)}' is not supported (valid: 'adam', 'adamw')`);
  }
  const b1 = cfg.beta1 ?? ADAM_DEFAULTS.beta1;
  const b2 = cfg.beta2 ?? ADAM_DEFAULTS.beta2;
  if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new OptimizerConfigError(`Adam betas must be in [0, 1), got ${b1}, ${b2}`);
  if (!(cfg.lr >= 0)) throw new OptimizerConfigError(`Adam lr must be >= 0, got ${cfg.lr}`);
  if (cfg.clipGradNorm !== undefined && !(cfg.clipGradNorm > 0)) {
    throw new OptimizerConfigError(`clipGradNorm must be > 0, got ${cfg.clipGradNorm}`);
  }
}

export interface AdamSlots {
  /** Graph input names for the per-parameter moments. */
  readonly m: string;
  readonly v: string;
}

export interface AdamGraph {
  readonly gradNorm: Sym;
  readonly newParams: Sym[];
  readonly newM: Sym[];
  readonly newV: Sym[];
}

export const LR_INPUT = 'opt:lr';
export const STEP_INPUT = 'opt:step';

export function appendAdam(
  o: TraceOps,
  params: readonly Sym[],
  grads: readonly Sym[],
  slots: readonly AdamSlots[],
  cfg: AdamConfig,
): AdamGraph {
  const b1 = cfg.beta1 ?? ADAM_DEFAULTS.beta1;
  const b2 = cfg.beta2 ?? ADAM_DEFAULTS.beta2;
  const eps = cfg.eps ?? ADAM_DEFAULTS.eps;
  const wd = cfg.weightDecay ?? ADAM_DEFAULTS.weightDecay;
  const lr = o.graph.input(LR_INPUT, [], 'float32');
  const t = o.graph.input(STEP_INPUT, [], 'float32');

  const sq = grads.map((g) => o.sum(o.mul(g, g)));
  const gradNorm = o.sqrt(sq.length ? sq.reduce((a, b) => o.add(a, b)) : o.scalar(0));
  let gs = grads;
  if (cfg.clipGradNorm !== undefined) {
    const coef = o.minimum(o.div(cfg.clipGradNorm, o.add(gradNorm, 1e-6)), 1);
    gs = grads.map((g) => o.mul(g, coef));
  }
  const stepSize = o.div(lr, o.sub(1, o.pow(b1, t)));
  const sqrtBc2 = o.sqrt(o.sub(1, o.pow(b2, t)));
  const newParams: Sym[] = [];
  const newM: Sym[] = [];
  const newV: Sym[] = [];
  params.forEach((p, i) => {
    let g = gs[i]!;
    let base: Sym = p;
    if (wd !== 0 && cfg.kind === 'adam') g = o.add(g, o.mul(p, wd));
    if (wd !== 0 && cfg.kind === 'adamw') base = o.mul(p, o.sub(1, o.mul(lr, wd)));
    const m = o.graph.input(slots[i]!.m, p.shape, 'float32');
    const v = o.graph.input(slots[i]!.v, p.shape, 'float32');
    const m1 = o.add(o.mul(m, b1), o.mul(g, 1 - b1));
    const v1 = o.add(o.mul(v, b2), o.mul(o.mul(g, g), 1 - b2));
    const denom = o.add(o.div(o.sqrt(v1), sqrtBc2), eps);
    newParams.push(o.sub(base, o.mul(stepSize, o.div(m1, denom))));
    newM.push(m1);
    newV.push(v1);
  });
  return { gradNorm, newParams, newM, newV };
}
