import { HostTensor, type Shape } from '../tensor.js';

/**
 * A named piece of model state held on the host. `trainable` variables are
 * parameters (optimized by gradient); the others are buffers (EMA codebooks,
 * running statistics), updated only through `ops.assign`.
 * Engines read `value` when a graph is built or a step runs, and write the
 * updated value back (engines may keep a device-side copy and sync lazily:
 * always call `engine.sync()` before reading `value` after training steps).
 */
export class Variable {
  constructor(
    public value: HostTensor<'float32'>,
    readonly trainable: boolean,
    /** Dotted PyTorch-style key, set when the owning module tree is named. */
    public key = '',
  ) {}
  /**
   * Set for weights that stay put once loaded (pretrained networks such as
   * LPIPS; `Module.markConstant()`). The onnx engine bakes constant variables
   * into every graph that reads them (training steps included), so
   * onnxruntime folds and pre-packs them; replacing `value` later still works
   * but rebuilds those graphs. Constant variables cannot be trained.
   */
  constant = false;
  get shape(): Shape {
    return this.value.shape;
  }
}
