// Jest runs each test file in its own vm context, whose typed-array
// constructors differ from the main realm's. Native addons (onnxruntime-node)
// create tensors in the main realm and check `data instanceof Float32Array`
// against the realm they were loaded in, so a Float32Array made in a test is
// rejected ("A float32 tensor's data must be type of Float32Array"). Sharing
// the main realm's typed arrays and buffers makes both sides agree.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
];

class SharedTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = SharedTypedArrayEnvironment;
